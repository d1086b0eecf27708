import { sql } from '@payloadcms/db-postgres'
import type { Payload, PayloadRequest } from 'payload'

import { currentTraceparent } from '../lib/telemetry/tracing'
import { JOBS, TRACE_FIELD, type Enqueued, type JobInput, type JobName, type JobSpec, type KeyMode } from './contracts'
import { FAILED_FOR_GOOD, queueObject, WAITING_OR_RUNNING, workerUtils } from './queue'

/** A Payload request (a hook's `req`, or one made for a transaction), whose write the job joins. */
export type JobTransaction = Pick<PayloadRequest, 'payload' | 'transactionID'>

type QueueDb = {
  waiting: (key: string) => Promise<string | null>
  failedForGood: (key: string) => Promise<boolean>
  add: (name: string, payload: unknown, spec: { key?: string; mode?: 'replace' | 'unsafe_dedupe'; runAt?: Date; maxAttempts: number; priority?: number }) => Promise<string>
}

export type DrizzleLike = { execute: (query: ReturnType<typeof sql>) => Promise<{ rows: Record<string, unknown>[] }> }

/** The drizzle transaction a request's write runs in, if it has one open. */
export async function transactionOf(req: JobTransaction | undefined): Promise<DrizzleLike | null> {
  if (!req?.transactionID) return null
  const id = await req.transactionID
  const sessions = (req.payload.db as unknown as { sessions?: Record<string | number, { db?: DrizzleLike }> }).sessions
  return sessions?.[id]?.db ?? null
}

/** Inside the write's transaction: graphile-worker's public `add_job` and `jobs` view on its connection. */
function transactionDb(tx: DrizzleLike): QueueDb {
  const jobs = sql.raw(queueObject('jobs'))
  return {
    waiting: async (key) => {
      const { rows } = await tx.execute(sql`select id::text as id from ${jobs} where key = ${key} and (${sql.raw(WAITING_OR_RUNNING)}) limit 1`)
      return (rows[0]?.id as string | undefined) ?? null
    },
    failedForGood: async (key) => {
      const { rows } = await tx.execute(sql`select 1 from ${jobs} where key = ${key} and ${sql.raw(FAILED_FOR_GOOD)} limit 1`)
      return rows.length > 0
    },
    add: async (name, payload, spec) => {
      const { rows } = await tx.execute(sql`
        select id::text as id from ${sql.raw(queueObject('add_job'))}(
          identifier => ${name}, payload => ${JSON.stringify(payload)}::json, run_at => ${spec.runAt?.toISOString() ?? null}::timestamptz,
          max_attempts => ${spec.maxAttempts}::int, job_key => ${spec.key ?? null}::text, job_key_mode => ${spec.mode ?? 'replace'}::text,
          priority => ${spec.priority ?? 0}::int)`)
      return String(rows[0]!.id)
    },
  }
}

/** No transaction to join: the shared WorkerUtils, as any producer would. */
async function poolDb(): Promise<QueueDb> {
  const utils = await workerUtils()
  const one = async (text: string, params: unknown[]) => (await utils.withPgClient((client) => client.query(text, params))).rows
  return {
    waiting: async (key) => ((await one(`select id::text as id from ${queueObject('jobs')} where key = $1 and (${WAITING_OR_RUNNING}) limit 1`, [key]))[0]?.id as string) ?? null,
    failedForGood: async (key) => (await one(`select 1 from ${queueObject('jobs')} where key = $1 and ${FAILED_FOR_GOOD} limit 1`, [key])).length > 0,
    add: async (name, payload, spec) =>
      String((await utils.addJob(name, payload, { jobKey: spec.key, jobKeyMode: spec.key ? spec.mode : undefined, runAt: spec.runAt, maxAttempts: spec.maxAttempts, priority: spec.priority })).id),
  }
}

/**
 * The trace the job is queued in (the webhook update's, a request's) travels with it as a W3C
 * `traceparent` beside the contract's fields, so the worker continues the same trace (task.ts);
 * every contract accepts it because it is added after the payload is checked and read back
 * before it is parsed. Outside a trace (cron, tracing off) nothing is added.
 */
function withTrace(payload: unknown): unknown {
  const traceparent = currentTraceparent()
  if (!traceparent || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload
  return { ...payload, [TRACE_FIELD]: traceparent }
}

/**
 * Queues a job of a known task, its payload checked against the task's contract. Given `req`
 * with an open transaction (a collection hook's, or one the caller began), the job is added on
 * that transaction's own connection: it exists only if the write commits, and then it surely
 * does (the outbox). Without one it is added at once.
 *
 * Keys follow the contract's mode: `dedupe` reports a job waiting or running under the key as
 * already queued (a double tap queues once), and a job that failed for good gives its key up to
 * the new one; `replace` moves the waiting job to the new instant.
 */
export async function addJob<N extends JobName>(
  name: N,
  input: JobInput<N>,
  options: { req?: JobTransaction; runAt?: Date } = {},
): Promise<Enqueued> {
  const contract = JOBS[name]
  const payload = contract.payload.parse(input)
  const key = (contract.key as (p: JobInput<N>) => string | undefined)(input)
  // The schema is installed before the first job is added (once per process).
  await workerUtils()
  const tx = await transactionOf(options.req)
  const db = tx ? transactionDb(tx) : await poolDb()
  const mode: KeyMode = contract.spec.keyMode
  let addMode: 'replace' | 'unsafe_dedupe' = 'replace'
  if (key && mode === 'dedupe') {
    const existing = await db.waiting(key)
    if (existing) return { jobId: existing, alreadyQueued: true }
    // A key that appeared between the check and the insert still wins (never a second job),
    // unless the job under it failed for good: then the new job takes its place.
    addMode = (await db.failedForGood(key)) ? 'replace' : 'unsafe_dedupe'
  }
  const spec: JobSpec = contract.spec
  const jobId = await db.add(name, withTrace(payload), { key, mode: addMode, runAt: options.runAt, maxAttempts: spec.maxAttempts, priority: spec.priority })
  return { jobId, alreadyQueued: false }
}

/** The id of the job waiting or running under `key`, if any (a double tap's check). */
export async function queuedJobId(key: string, req?: JobTransaction): Promise<string | null> {
  const tx = await transactionOf(req)
  return (tx ? transactionDb(tx) : await poolDb()).waiting(key)
}

/** The job key a task's contract gives this payload (what `addJob` would use). */
export function jobKeyOf<N extends JobName>(name: N, input: JobInput<N>): string | undefined {
  return (JOBS[name].key as (p: JobInput<N>) => string | undefined)(input)
}

/**
 * Runs `write` in a Payload transaction of its own and commits it, so the jobs it adds with
 * `{ req }` exist only if everything in it committed (for use cases outside a request).
 */
export async function inTransaction<T>(payload: Payload, write: (req: JobTransaction) => Promise<T>): Promise<T> {
  const transactionID = (await payload.db.beginTransaction()) ?? undefined
  const req = { payload, transactionID } as JobTransaction
  try {
    const result = await write(req)
    if (transactionID !== undefined) await payload.db.commitTransaction(transactionID)
    return result
  } catch (error) {
    if (transactionID !== undefined) await payload.db.rollbackTransaction(transactionID).catch(() => undefined)
    throw error
  }
}
