import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { env } from '../lib/env'
import { FAILED_FOR_GOOD, queueObject, workerUtils } from './queue'

export { workerUtils }

export const JOB_STATES = ['queued', 'running', 'stuck', 'failed'] as const
export type JobState = (typeof JOB_STATES)[number]

export type JobRow = {
  id: string
  task: string
  queue: string | null
  key: string | null
  state: JobState
  attempts: number
  maxAttempts: number
  runAt: string
  lastError: string | null
  updatedAt: string
  lockedBy: string | null
  lockedAt: string | null
}

const jobs = () => sql.raw(queueObject('jobs'))
/** Locked by a pool no live worker process reports: crashed, killed, or never registered. */
const lockedByDead = () => sql`locked_at is not null and not exists (
  select 1 from postforge.worker_processes w
   where locked_by = any(w.pool_ids) and w.seen_at >= now() - make_interval(secs => ${env().WORKER_DEAD_AFTER_MS / 1000}))`

/**
 * Waiting (a retry with its last error included), running on a live worker, stuck (held by a
 * worker that is gone: crash recovery releases these within a minute; older ones mean no worker
 * runs the recovery) and failed for good (attempts used up).
 */
const STATE_FILTER: Record<JobState, () => ReturnType<typeof sql>> = {
  queued: () => sql`locked_at is null and attempts < max_attempts`,
  running: () => sql`locked_at is not null and not (${lockedByDead()})`,
  stuck: lockedByDead,
  failed: () => sql.raw(FAILED_FOR_GOOD),
}

/** Jobs as staff need to see them: waiting, running, or failed with the error (newest first). */
export async function listJobs(payload: Payload, state: JobState, limit = 100): Promise<JobRow[]> {
  await workerUtils()
  const result = await payload.db.drizzle.execute(sql`
    select id::text, task_identifier as task, queue_name as queue, key, attempts, max_attempts,
           run_at, last_error, updated_at, locked_at, locked_by
    from ${jobs()} where ${STATE_FILTER[state]()}
    order by updated_at desc limit ${limit}`)
  return (result.rows as Record<string, unknown>[]).map((row) => ({
    id: String(row.id),
    task: String(row.task),
    queue: (row.queue as string | null) ?? null,
    key: (row.key as string | null) ?? null,
    state,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: new Date(row.run_at as string).toISOString(),
    lastError: (row.last_error as string | null) ?? null,
    updatedAt: new Date(row.updated_at as string).toISOString(),
    lockedBy: (row.locked_by as string | null) ?? null,
    lockedAt: row.locked_at ? new Date(row.locked_at as string).toISOString() : null,
  }))
}

export async function countJobs(payload: Payload): Promise<Record<JobState, number>> {
  await workerUtils()
  const entries = await Promise.all(
    JOB_STATES.map(async (state) => {
      const result = await payload.db.drizzle.execute(
        sql`select count(*)::int as n from ${jobs()} where ${STATE_FILTER[state]()}`,
      )
      return [state, Number((result.rows[0] as { n: number }).n)] as const
    }),
  )
  return Object.fromEntries(entries) as Record<JobState, number>
}

/** Runs a failed job again now, with a fresh set of attempts. */
export async function retryJob(id: string): Promise<boolean> {
  const jobs = await (await workerUtils()).rescheduleJobs([id], { runAt: new Date(), attempts: 0, maxAttempts: 5 })
  return jobs.length === 1
}

