/**
 * `npm run backup`: one backup now, the same as the worker's scheduled one (src/ops/backup.ts):
 * recorded in the `backups` collection, pruned by retention, and a failure told to the staff
 * chat. Prints the files written, or the reason it failed (exit code 1).
 */
import { getPayload } from 'payload'

import { bootOrExit } from '../src/lib/boot'
import { closeRedis } from '../src/lib/redis'
import { checkBackupAlerts } from '../src/ops/alertChecks'
import { alertsConfigured } from '../src/ops/alerts'
import { runBackup } from '../src/ops/backup'
import { loadEnvFiles } from './lib.mjs'

// .env, then .env.local (what `npm run dev` writes), under what the shell sets.
loadEnvFiles()
bootOrExit()
const { default: config } = await import('@payload-config')
const payload = await getPayload({ config })
const outcome = await runBackup(payload, { force: true })
if (outcome.status === 'succeeded') {
  process.stdout.write(`Backup written: ${outcome.file} (${(outcome.sizeBytes / 1_048_576).toFixed(1)} MiB)\n`)
  process.stdout.write(outcome.mediaFile ? `Media: ${outcome.mediaFile}\n` : 'Media: no files in MEDIA_DIR\n')
  if (outcome.removed.length > 0) process.stdout.write(`Removed by retention: ${outcome.removed.join(', ')}\n`)
} else if (outcome.status === 'failed') {
  process.stderr.write(`Backup failed (record ${outcome.id}): ${outcome.error}\n`)
} else {
  process.stderr.write('Another backup of this database is running; nothing done.\n')
}
if (outcome.status !== 'skipped' && alertsConfigured()) await checkBackupAlerts(payload).catch(() => undefined)
await payload.destroy().catch(() => undefined)
await closeRedis().catch(() => undefined)
process.exit(outcome.status === 'failed' ? 1 : 0)
