import type { CronItem, TaskList } from 'graphile-worker'
import type { Payload } from 'payload'

import { articleGenerateTask } from './tasks/articleGenerate'
import { heartbeat } from './tasks/heartbeat'
import { keywordsClusterTask } from './tasks/keywordsCluster'
import { materializeSchedulesTask } from './tasks/materializeSchedules'
import { postGenerateTask } from './tasks/postGenerate'
import { publishTask } from './tasks/publish'
import { sweepPublicationsTask } from './tasks/sweepPublications'

/** Every task the worker runs; one file each under tasks/. */
export const TASKS = [heartbeat, materializeSchedulesTask, sweepPublicationsTask, publishTask]

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

/** Fan-out tasks only (UTC); per-customer timing lives in schedules and run_at, not here. */
export const CRONTAB = [
  '* * * * * worker.heartbeat ?max=1&jobKey=worker.heartbeat&jobKeyMode=replace',
  '*/5 * * * * schedules.materialize ?max=1&jobKey=schedules.materialize&jobKeyMode=replace',
  '*/5 * * * * publications.sweep ?max=1&jobKey=publications.sweep&jobKeyMode=replace',
].join('\n')

/**
 * CRONTAB as graphile-worker cron items. Its crontab text format only accepts task names of
 * `[_a-zA-Z0-9:/-]`, so a line naming `worker.heartbeat` stops the worker at start
 * ("Invalid command specification"); cron items take any task name.
 */
export function cronItems(crontab = CRONTAB): CronItem[] {
  return crontab
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [minute, hour, day, month, weekday, task, query = ''] = line.trim().split(/\s+/)
      const options = new URLSearchParams(query.replace(/^\?/, ''))
      const mode = options.get('jobKeyMode')
      return {
        task,
        identifier: task,
        match: [minute, hour, day, month, weekday].join(' '),
        options: {
          ...(options.has('max') ? { maxAttempts: Number(options.get('max')) } : {}),
          ...(options.has('jobKey') ? { jobKey: options.get('jobKey')! } : {}),
          ...(mode === 'replace' || mode === 'preserve_run_at' ? { jobKeyMode: mode } : {}),
        },
      }
    })
}
