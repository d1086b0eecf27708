import { runAlertChecks } from '../../ops/alertChecks'
import { alertsConfigured } from '../../ops/alerts'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * Every minute from the crontab: failed publications, a platform failing for many connections,
 * jobs failing for good, the day's AI spend and the backups, told to the staff chat once per
 * incident (src/ops/alerts.ts). The worker's own heartbeat is the web app's watchdog's to check.
 */
export const alertsCheckTask = defineTask('alerts.check', JOBS['alerts.check'].payload, async (_input, { payload, log }) => {
  if (!alertsConfigured()) return
  const { opened, resolved } = await runAlertChecks(payload, { log })
  if (opened.length > 0 || resolved.length > 0) log.info({ opened, resolved }, 'alerts changed')
})
