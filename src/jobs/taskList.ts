import type { TaskList } from 'graphile-worker'
import type { Payload } from 'payload'

import { heartbeat } from './tasks/heartbeat'
import { materializeSchedulesTask } from './tasks/materializeSchedules'
import { publishTask } from './tasks/publish'
import { sweepPublicationsTask } from './tasks/sweepPublications'

/** Every task the worker runs; one file each under tasks/. */
export const TASKS = [heartbeat, materializeSchedulesTask, sweepPublicationsTask, publishTask]

export function buildTaskList(getPayload: () => Promise<Payload>): TaskList {
  return Object.fromEntries(TASKS.map((task) => task(getPayload)))
}

/** Fan-out tasks only (UTC); per-customer timing lives in schedules and run_at, not here. */
export const CRONTAB = [
  '* * * * * worker.heartbeat ?max=1&jobKey=worker.heartbeat&jobKeyMode=replace',
  '*/5 * * * * schedules.materialize ?max=1&jobKey=schedules.materialize&jobKeyMode=replace',
  '*/5 * * * * publications.sweep ?max=1&jobKey=publications.sweep&jobKeyMode=replace',
].join('\n')
