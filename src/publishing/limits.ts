import { randomUUID } from 'node:crypto'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { PROCESS_ID } from '../lib/processId'
import { databaseScope, evalScript, redis } from '../lib/redis'
import { takeToken } from '../lib/tokenBucket'
import { PLATFORMS, type Platform } from './platforms'

/**
 * Publish calls per minute per connection (also the burst). Platforms limit each account or
 * community separately, and a shared app credential must not let one customer starve the rest:
 * Telegram about 20 posts a minute per channel, VK a few calls a second per key, Instagram a
 * rolling daily quota that a burst would spend at once.
 */
export const RATE_PER_MINUTE: Record<Platform, number> = {
  wordpress: 30,
  telegram: 20,
  vk: 20,
  pinterest: 30,
  instagram: 10,
}

/**
 * The backstop for a slot whose holder vanished without the registry noticing; normally a dead
 * worker's slots are released within a minute by the crash recovery (`releaseLeasesOf`).
 */
const LEASE_MS = 10 * 60_000
/** How long a job waits when its platform is at its concurrency cap; jittered by the caller. */
const BUSY_WAIT_MS = 5_000

// Concurrency cap: a sorted set of leases scored by expiry; expired leases are dropped first.
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`

const slotsKey = (platform: Platform) => `pf:${databaseScope()}:publish:slots:${platform}`

export type Permit = { release: () => Promise<void> }
export type PermitAnswer = { ok: true; permit: Permit } | { ok: false; reason: 'rate' | 'concurrency'; retryAfterMs: number }

const NO_OP: Permit = { release: async () => undefined }

/**
 * Asks for room to make one publish call: a token from the connection's bucket and a slot
 * under the platform's concurrency cap. When there is none, the caller re-queues the job for
 * `retryAfterMs` later (never a failure). If Redis is down the call goes ahead: the platform's
 * own 429 handling still applies, and a missed publication is worse than a throttled one.
 */
export async function acquirePublishPermit(platform: Platform, connectionId: number): Promise<PermitAnswer> {
  const ns = databaseScope()
  const slots = slotsKey(platform)
  const bucket = `pf:${ns}:publish:bucket:${connectionId}`
  // The holder's process id leads the lease, so the leases of a dead worker can be found.
  const lease = `${PROCESS_ID}/${randomUUID()}`
  const { PUBLISH_CONNECTION_RATE_PER_MIN, PUBLISH_PLATFORM_CONCURRENCY } = env()
  try {
    const slot = await evalScript(redis(), TAKE_SLOT, [slots], [PUBLISH_PLATFORM_CONCURRENCY, lease, LEASE_MS])
    if (slot !== 1) return { ok: false, reason: 'concurrency', retryAfterMs: BUSY_WAIT_MS + Math.floor(Math.random() * BUSY_WAIT_MS) }
    const rate = PUBLISH_CONNECTION_RATE_PER_MIN ?? RATE_PER_MINUTE[platform]
    const token = await takeToken(redis(), bucket, { capacity: rate, perSecond: rate / 60 })
    const release = async () => {
      await redis()
        .zrem(slots, lease)
        .catch(() => undefined)
    }
    if (!token.allowed) {
      await release()
      return { ok: false, reason: 'rate', retryAfterMs: Math.max(1_000, token.waitMs) }
    }
    return { ok: true, permit: { release } }
  } catch (error) {
    logger().warn({ platform, connectionId, err: error instanceof Error ? error.message : String(error) }, 'publish limits unavailable, going ahead')
    return { ok: true, permit: NO_OP }
  }
}

/** Slots held under each platform's cap, with the process holding each (staff view). */
export async function heldLeases(): Promise<{ platform: Platform; holder: string; expiresAt: string }[]> {
  const held = await Promise.all(
    PLATFORMS.map(async (platform) => {
      const entries = await redis().zrange(slotsKey(platform), '0', '-1', 'WITHSCORES')
      const leases: { platform: Platform; holder: string; expiresAt: string }[] = []
      for (let i = 0; i < entries.length; i += 2) {
        leases.push({ platform, holder: entries[i].split('/')[0], expiresAt: new Date(Number(entries[i + 1])).toISOString() })
      }
      return leases
    }),
  )
  return held.flat()
}

/** Frees the slots that dead worker processes held, so the platforms' caps are not filled by ghosts. */
export async function releaseLeasesOf(processIds: string[]): Promise<number> {
  if (processIds.length === 0) return 0
  let released = 0
  for (const platform of PLATFORMS) {
    const members = await redis().zrange(slotsKey(platform), '0', '-1')
    const dead = members.filter((member) => processIds.includes(member.split('/')[0]))
    if (dead.length > 0) released += await redis().zrem(slotsKey(platform), ...dead)
  }
  return released
}
