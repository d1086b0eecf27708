import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { heartbeatAge } from '../jobs/heartbeat'
import { redis } from '../lib/redis'

type Check = { ok: boolean; ms: number; error?: string }

/** A worker that has not run its once-a-minute heartbeat job for this long is not consuming jobs. */
export const WORKER_STALE_MS = 3 * 60_000

/** Probes give up after this long: a hung dependency is a down one, and probes must not time out first. */
export const HEALTH_CHECK_TIMEOUT_MS = 1_000

class CheckTimeout extends Error {
  name = 'TimeoutError'
}

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), HEALTH_CHECK_TIMEOUT_MS)
      }),
    ])
    return { ok: true, ms: Math.round(performance.now() - started) }
  } catch (error) {
    // Only the error's class: connection strings must never reach a response.
    return { ok: false, ms: Math.round(performance.now() - started), error: error instanceof Error ? error.name : 'error' }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The database and Redis, checked side by side within about a second, and the worker's heartbeat.
 * `down` names what is unavailable, for an operator reading the probe. Without a Payload (it could
 * not start: the database was down) the database counts as down.
 */
export async function checkHealth(payload: Payload | null) {
  const [database, cache] = await Promise.all([
    payload
      ? timed(() => payload.db.drizzle.execute(sql`select 1`))
      : Promise.resolve<Check>({ ok: false, ms: 0, error: 'NotStarted' }),
    timed(() => redis().ping()),
  ])
  const age = cache.ok ? await heartbeatAge().catch(() => null) : null
  const worker = { ok: age !== null && age < WORKER_STALE_MS, lastJobAgoMs: age }
  const down = [...(database.ok ? [] : ['database']), ...(cache.ok ? [] : ['redis'])]
  return { ok: down.length === 0, down, checks: { database, redis: cache, worker } }
}
