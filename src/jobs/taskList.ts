import type { CronItem, TaskList } from 'graphile-worker'
import type { Payload } from 'payload'

import { JOBS, type JobName } from './contracts'
import { articleGenerateTask } from './tasks/articleGenerate'
import { heartbeat } from './tasks/heartbeat'
import { keywordsClusterTask } from './tasks/keywordsCluster'
import { materializeSchedulesTask } from './tasks/materializeSchedules'
import { noticeSendTask } from './tasks/noticeSend'
import { postGenerateTask } from './tasks/postGenerate'
import { publishTask } from './tasks/publish'
import { refreshTokensTask } from './tasks/refreshTokens'
import { sweepPublicationsTask } from './tasks/sweepPublications'
// Operations (O7): alerts and backups
import { alertsCheckTask } from './tasks/alertsCheck'
import { backupRunTask } from './tasks/backupRun'
// Staff tools (O8)
import { broadcastSendTask } from './tasks/broadcastSend'
import { privacyExportTask } from './tasks/privacyExport'
// Billing (B2)
import { billingSweepTask } from './tasks/billingSweep'

/** Every task the worker runs; one file each under tasks/. */
export const TASKS = [heartbeat, materializeSchedulesTask, sweepPublicationsTask, publishTask, noticeSendTask, refreshTokensTask, broadcastSendTask, privacyExportTask, alertsCheckTask, backupRunTask, billingSweepTask]

export function buildTaskList(getPayload: () => Promise<Payload>): TaskList {
  return Object.fromEntries(TASKS.map((task) => task(getPayload)))
}

/**
 * AI generation tasks. The worker runs them in a pool of their own (WORKER_AI_CONCURRENCY), so
 * minutes-long articles never hold up publishing at its instant.
 */
export const AI_JOB_TASKS = [keywordsClusterTask, articleGenerateTask, postGenerateTask]

export function buildAiTaskList(getPayload: () => Promise<Payload>): TaskList {
  return Object.fromEntries(AI_JOB_TASKS.map((task) => task(getPayload)))
}

/** A fan-out task on a UTC schedule, queued under its contract's key and attempts. */
const cron = (match: string, task: JobName & ('worker.heartbeat' | 'schedules.materialize' | 'publications.sweep' | 'connections.refreshTokens' | 'alerts.check' | 'backup.run' | 'billing.sweep')): CronItem => ({
  task,
  identifier: task,
  match,
  options: { maxAttempts: JOBS[task].spec.maxAttempts, jobKey: JOBS[task].key({}), jobKeyMode: 'replace' },
})

/** Fan-out tasks only (UTC); per-customer timing lives in schedules and run_at, not here. */
export const CRONTAB: CronItem[] = [
  cron('* * * * *', 'worker.heartbeat'),
  cron('*/5 * * * *', 'schedules.materialize'),
  cron('*/5 * * * *', 'publications.sweep'),
  cron('23 */6 * * *', 'connections.refreshTokens'),
  // O7: alerts every minute; the backup tick every hour (it runs one when BACKUP_INTERVAL_HOURS have passed).
  cron('* * * * *', 'alerts.check'),
  cron('41 * * * *', 'backup.run'),
  // B2: ended plan periods and abandoned generation holds, every hour.
  cron('17 * * * *', 'billing.sweep'),
]
