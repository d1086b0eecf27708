import { getPayload } from 'payload'

import { bootOrExit } from '../lib/boot'
import { seed } from '.'

/**
 * `tsx src/seed/run.ts`: first admin, prompt templates and demo content; prints a generated password
 * once. `--no-demo` (production) leaves out the demo customer.
 */
const settings = bootOrExit()
const { default: config } = await import('@payload-config')
const payload = await getPayload({ config })
const result = await seed(payload, {
  adminEmail: settings.ADMIN_EMAIL,
  adminPassword: settings.ADMIN_PASSWORD,
  demo: !process.argv.includes('--no-demo'),
})
if (result.adminEmail) {
  const password = result.generatedPassword ?? '(ADMIN_PASSWORD from your environment)'
  process.stdout.write(`\n  First admin: ${result.adminEmail}  password: ${password}\n  (shown once; change it in the admin)\n\n`)
}
if (result.demo) process.stdout.write('  Demo account and project «Кофейня «Зерно»» created.\n')
await payload.destroy()
process.exit(0)
