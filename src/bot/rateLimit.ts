import type { Redis } from 'ioredis'

import type { Plan } from '../usage/plans'
import { PLAN_LIMITS } from '../usage/plans'

export type Bucket = { capacity: number; perSecond: number }

export type RateLimits = {
  /** Every update a user sends: about one a second with a burst of five. */
  updates: Bucket
  /** How long one "slow down" notice covers before another may be sent. */
  noticeWindowMs: number
  /** AI generation requests per plan: stricter, refilled over a day. */
  generation: Record<Plan, Bucket>
}

const DAY = 24 * 60 * 60

export const DEFAULT_LIMITS: RateLimits = {
  updates: { capacity: 5, perSecond: 1 },
  noticeWindowMs: 10_000,
  generation: Object.fromEntries(
    Object.entries(PLAN_LIMITS).map(([plan, limits]) => [
      plan,
      {
        capacity: Math.max(2, Math.ceil(limits.dailyGenerations / 10)),
        perSecond: limits.dailyGenerations / DAY,
      },
    ]),
  ) as Record<Plan, Bucket>,
}

/**
 * Token bucket in one Lua call, on Redis's clock so every bot process agrees. When the bucket is
 * empty it also claims the notice key, so the caller tells the user once per window, not per drop.
 */
const TOKEN_BUCKET = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2]) / 1000
local noticeMs = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed = 0
local notify = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
elseif noticeMs > 0 and redis.call('SET', KEYS[2], '1', 'NX', 'PX', noticeMs) then
  notify = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs) + 1000)
return {allowed, notify}
`

export type TakeResult = { allowed: boolean; notify: boolean }

export async function takeToken(
  redis: Redis,
  key: string,
  bucket: Bucket,
  noticeWindowMs = 0,
): Promise<TakeResult> {
  const [allowed, notify] = (await redis.eval(
    TOKEN_BUCKET,
    2,
    key,
    `${key}:notice`,
    bucket.capacity,
    bucket.perSecond,
    noticeWindowMs,
  )) as [number, number]
  return { allowed: allowed === 1, notify: notify === 1 }
}
