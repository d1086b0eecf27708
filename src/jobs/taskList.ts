import type { TaskList } from 'graphile-worker'
import type { Payload } from 'payload'

import { heartbeat } from './tasks/heartbeat'

/** Every task the worker runs; one file each under tasks/. */
export const TASKS = [heartbeat]

export function buildTaskList(getPayload: () => Promise<Payload>): TaskList {
  return Object.fromEntries(TASKS.map((task) => task(getPayload)))
}

/** Fan-out tasks only (UTC); per-customer timing lives in schedules and run_at, not here. */
export const CRONTAB = ['* * * * * worker.heartbeat ?max=1&jobKey=worker.heartbeat&jobKeyMode=replace'].join('\n')
