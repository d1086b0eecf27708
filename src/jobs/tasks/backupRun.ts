import { checkBackupAlerts } from '../../ops/alertChecks'
import { alertsConfigured } from '../../ops/alerts'
import { runBackup } from '../../ops/backup'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * Every hour from the crontab: a backup when the last one is BACKUP_INTERVAL_HOURS old (or now,
 * with `force`). Its outcome is in the `backups` collection either way; a failure is told to the
 * staff chat at once, and the job itself ends without error (the next tick tries again).
 */
export const backupRunTask = defineTask('backup.run', JOBS['backup.run'].payload, async (input, { payload, log, helpers }) => {
  const outcome = await runBackup(payload, { force: input.force, signal: helpers.abortSignal, log })
  if (outcome.status === 'skipped') {
    log.debug({ reason: outcome.reason }, 'no backup this hour')
    return
  }
  if (!alertsConfigured()) return
  await checkBackupAlerts(payload).catch((error: Error) => log.error({ err: error.message }, 'backup alert not checked'))
})
