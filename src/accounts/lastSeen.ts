import { sql } from '@payloadcms/db-postgres'
import type { Redis } from 'ioredis'
import type { Payload, PayloadRequest } from 'payload'

import { logger } from '../lib/logger'
import { databaseScope, redis } from '../lib/redis'
import { oncePer } from '../lib/telemetry/gate'

/** An account's activity is recorded at most this often (the basis of DAU/MAU). */
export const LAST_SEEN_EVERY_SECONDS = 60

/**
 * Records that an account was active now (a bot update, an API-key request), cheaply: a Redis
 * SET NX EX gate lets one write a minute per account through, across all processes, and the
 * write is one UPDATE of one column (no hooks, no version, the account cache stays valid).
 * Never fails the caller: activity is bookkeeping.
 */
export async function touchLastSeen(payload: Payload, client: Redis, accountId: number, now = new Date()): Promise<boolean> {
  if (!(await oncePer(client, `pf:seen:${databaseScope()}:${accountId}`, LAST_SEEN_EVERY_SECONDS))) return false
  try {
    await payload.db.drizzle.execute(sql`update accounts set last_seen_at = ${now.toISOString()}::timestamptz where id = ${accountId}`)
    return true
  } catch (error) {
    logger().warn({ err: error, account: accountId }, 'last seen time not recorded')
    return false
  }
}

/**
 * An account authenticated by its API key (Payload's api-key strategy reads it with the
 * request's `req` before `req.user` is set): its activity is recorded. Used as the accounts
 * collection's afterRead hook.
 */
export async function touchLastSeenOnApiKey({ doc, req }: { doc: { id?: unknown }; req: PayloadRequest }): Promise<void> {
  if (req.user || typeof doc.id !== 'number') return
  const authorization = req.headers?.get?.('authorization') ?? ''
  if (!authorization.startsWith('accounts API-Key ')) return
  await touchLastSeen(req.payload, redis(), doc.id)
}
