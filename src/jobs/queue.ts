import { sql } from '@payloadcms/db-postgres'
import { makeWorkerUtils, type JobHelpers, type WorkerUtils } from 'graphile-worker'
import type { PoolClient } from 'pg'

import { env } from '../lib/env'
import type { DrizzleLike } from './addJob'

/**
 * graphile-worker's queue as this installation reaches it: the shared WorkerUtils, the public
 * `jobs` view, and its public SQL functions. Everything else in the project goes through here.
 *
 * Private tables (`_private_*`) are touched in exactly two places below, `stopRetries` and
 * `giveBackAttempt`, because graphile-worker 0.18 offers no public way to change a job that is
 * locked by the very worker running it: `permanentlyFailJobs` and `rescheduleJobs` skip locked
 * jobs, and the worker fails the job (through a batched `fail_job`) only after the task returns,
 * so a task cannot ask for either from the outside either.
 */

let utils: Promise<WorkerUtils> | undefined

/**
 * Shared WorkerUtils; the first call also installs (or upgrades) graphile-worker's schema, so
 * whoever adds a job first (the web app, the bot, the worker) finds the queue in place.
 */
export function workerUtils(): Promise<WorkerUtils> {
  utils ??= makeWorkerUtils({ connectionString: env().DATABASE_URL, schema: env().GRAPHILE_WORKER_SCHEMA })
    .then(async (u) => {
      await u.migrate()
      return u
    })
    .catch((error: unknown) => {
      // A database that was away at the first call must not poison every later one.
      utils = undefined
      throw error
    })
  return utils
}

/** The schema's public objects, quoted for SQL (env admits only a plain identifier as the schema). */
export const queueObject = (name: 'jobs' | 'add_job' | 'force_unlock_workers') => `"${env().GRAPHILE_WORKER_SCHEMA}".${name}`

/** A job waiting or running under a key (one that used up its attempts is not waiting). */
export const WAITING_OR_RUNNING = 'locked_at is not null or attempts < max_attempts'
/** A job that failed for good: unlocked with its attempts used up. */
export const FAILED_FOR_GOOD = 'locked_at is null and attempts >= max_attempts'

/** The publications whose publish jobs (by their key, `publish:<id>`) are among these held jobs. */
function publicationsOf(held: { task: string; key: string | null }[]): number[] {
  const publications = held.flatMap((r) => {
    const match = r.task === 'publication.publish' ? /^publish:(\d+)$/.exec(r.key ?? '') : null
    return match ? [Number(match[1])] : []
  })
  return [...new Set(publications)]
}

/**
 * Releases whatever these graphile-worker pools held (their jobs go back to the queue, the
 * attempt spent stays spent), on the caller's client so it joins the caller's transaction.
 * Reports the publish jobs among them (by their key, `publish:<id>`) so their publications can be
 * settled: the call may have reached the platform.
 */
export async function forceUnlockPools(client: PoolClient, pools: string[]): Promise<{ jobs: number; publications: number[] }> {
  const held = await client.query<{ task: string; key: string | null }>(
    `select task_identifier as task, key from ${queueObject('jobs')} where locked_by = any($1::text[])`,
    [pools],
  )
  await client.query(`select ${queueObject('force_unlock_workers')}($1::text[])`, [pools])
  return { jobs: held.rows.length, publications: publicationsOf(held.rows) }
}

/**
 * The same on a Payload (drizzle) transaction, so the release commits together with whatever
 * the caller writes about it (the crash recovery: the publications settled and their notices).
 */
export async function forceUnlockPoolsIn(tx: DrizzleLike, pools: string[]): Promise<{ jobs: number; publications: number[] }> {
  const held = await tx.execute(
    sql`select task_identifier as task, key from ${sql.raw(queueObject('jobs'))} where locked_by = any(${sql.param(pools)}::text[])`,
  )
  await tx.execute(sql`select ${sql.raw(queueObject('force_unlock_workers'))}(${sql.param(pools)}::text[])`)
  return { jobs: held.rows.length, publications: publicationsOf(held.rows as { task: string; key: string | null }[]) }
}

/**
 * Makes the running job's current attempt its last, so its failure is recorded once and stays
 * visible to staff. PRIVATE TABLE: no public function changes a job its own worker holds.
 */
export async function stopRetries(helpers: JobHelpers) {
  await helpers.withPgClient((client) =>
    client.query(`update "${env().GRAPHILE_WORKER_SCHEMA}"._private_jobs set max_attempts = attempts where id = $1`, [helpers.job.id]),
  )
}

/**
 * Gives back the attempt a running job was fetched with (it was cut short by a shutdown and did
 * nothing wrong). PRIVATE TABLE: as above, the job is locked by this worker until it returns.
 */
export async function giveBackAttempt(helpers: JobHelpers) {
  await helpers.withPgClient((client) =>
    client.query(`update "${env().GRAPHILE_WORKER_SCHEMA}"._private_jobs set attempts = greatest(attempts - 1, 0) where id = $1`, [helpers.job.id]),
  )
}
