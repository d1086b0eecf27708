import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { heartbeatAge } from '../jobs/heartbeat'
import { redis } from './redis'

type Check = { ok: boolean; ms: number; error?: string }

/** A worker that has not run its once-a-minute heartbeat job for this long is not consuming jobs. */
export const WORKER_STALE_MS = 3 * 60_000

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = performance.now()
  try {
    await fn()
    return { ok: true, ms: Math.round(performance.now() - started) }
  } catch (error) {
    // Only the error's class: connection strings must never reach a response.
    return { ok: false, ms: Math.round(performance.now() - started), error: error instanceof Error ? error.name : 'error' }
  }
}

export async function checkHealth(payload: Payload) {
  const [database, cache] = await Promise.all([
    timed(() => payload.db.drizzle.execute(sql`select 1`)),
    timed(() => redis().ping()),
  ])
  const age = cache.ok ? await heartbeatAge().catch(() => null) : null
  const worker = { ok: age !== null && age < WORKER_STALE_MS, lastJobAgoMs: age }
  return { ok: database.ok && cache.ok, checks: { database, redis: cache, worker } }
}
