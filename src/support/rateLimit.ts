import { evalScript, databaseScope, redis } from '../lib/redis'
import { logger } from '../lib/logger'

/** How many messages one account may send to support in one window, on every face (bot, REST, GraphQL). */
export const SUPPORT_MESSAGES_PER_WINDOW = 20
export const SUPPORT_WINDOW_SECONDS = 10 * 60

// INCR the window's counter (its expiry set by the first message); answers [count, ttl].
const WINDOW = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { n, ttl }
`

export type SupportSlot = { ok: true } | { ok: false; retryAfterSeconds: number; firstRefusal: boolean }

/**
 * Takes one of the account's support messages for the current window (fixed, from its first
 * message). Refused past the limit until the window ends; `firstRefusal` marks the one refusal
 * the customer is told about in the bot (later ones are dropped quietly). With Redis away the
 * message goes through: support must not go dark with the cache, and it is logged.
 */
export async function takeSupportSlot(accountId: number | string): Promise<SupportSlot> {
  const key = `pf:${databaseScope()}:support:rate:${accountId}`
  try {
    const [count, ttl] = (await evalScript(redis(), WINDOW, [key], [SUPPORT_WINDOW_SECONDS])) as [number, number]
    if (count <= SUPPORT_MESSAGES_PER_WINDOW) return { ok: true }
    return { ok: false, retryAfterSeconds: Math.max(1, ttl), firstRefusal: count === SUPPORT_MESSAGES_PER_WINDOW + 1 }
  } catch (error) {
    logger().warn({ err: error, accountId }, 'support rate limit unavailable (Redis); message let through')
    return { ok: true }
  }
}
