/**
 * `npm run credentials:rotate`: re-seals every connection's stored platform credentials with
 * CREDENTIALS_ENCRYPTION_KEY, opening them with it or CREDENTIALS_ENCRYPTION_PREVIOUS_KEY.
 * The runbook (docs/runbook.md, "Rotating the credentials key") gives the whole procedure.
 * Prints counts and the ids of connections no configured key opens; exits 1 if there are any.
 */
import pg from 'pg'

import { rotateCredentialsKey } from '../src/connections/credentialsKey'
import { bootOrExit } from '../src/lib/boot'

const settings = bootOrExit()
const pool = new pg.Pool({ connectionString: settings.DATABASE_URL, max: 2 })
try {
  const report = await rotateCredentialsKey(pool)
  process.stdout.write(`credentials: ${report.rotated} re-sealed with the current key, ${report.current} already current\n`)
  for (const { id, reason } of report.unreadable) process.stdout.write(`connection ${id}: cannot be opened (${reason}); the customer must reconnect it\n`)
  if (!settings.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY && report.unreadable.length === 0) process.stdout.write('no previous key is configured: nothing else to do\n')
  else if (report.unreadable.length === 0) process.stdout.write('every envelope is sealed with the current key: CREDENTIALS_ENCRYPTION_PREVIOUS_KEY can be removed\n')
  process.exitCode = report.unreadable.length > 0 ? 1 : 0
} finally {
  await pool.end()
}
