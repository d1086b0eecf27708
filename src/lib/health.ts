import { Redis } from 'ioredis'
import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { env } from './env'

type Check = { ok: boolean; ms: number; error?: string }

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = performance.now()
  try {
    await fn()
    return { ok: true, ms: Math.round(performance.now() - started) }
  } catch (error) {
    // The reason is kept short and generic: connection strings must never reach a response.
    return { ok: false, ms: Math.round(performance.now() - started), error: error instanceof Error ? error.name : 'error' }
  }
}

let redis: Redis | undefined

function healthRedis(): Redis {
  redis ??= new Redis(env().REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 })
  return redis
}

export async function checkHealth(payload: Payload) {
  const [database, cache] = await Promise.all([
    timed(() => payload.db.drizzle.execute(sql`select 1`)),
    timed(() => healthRedis().ping()),
  ])
  return { ok: database.ok && cache.ok, checks: { database, redis: cache } }
}
