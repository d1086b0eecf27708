import type { Redis } from 'ioredis'

import { evalScript } from './redis'

export type Bucket = { capacity: number; perSecond: number }

/**
 * Token bucket in one Lua call, on Redis's clock so every process agrees. Answers whether a token
 * was taken, how long until the next one, and (with a notice window) whether this refusal is the
 * first in its window, so a caller can tell a person once instead of on every drop.
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
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / perMs)
  if noticeMs > 0 and redis.call('SET', KEYS[2], '1', 'NX', 'PX', noticeMs) then notify = 1 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs) + 1000)
return {allowed, notify, wait}
`

export type TakeResult = { allowed: boolean; notify: boolean; waitMs: number }

export async function takeToken(
  redis: Redis,
  key: string,
  bucket: Bucket,
  noticeWindowMs = 0,
): Promise<TakeResult> {
  const [allowed, notify, wait] = (await evalScript(
    redis,
    TOKEN_BUCKET,
    [key, `${key}:notice`],
    [bucket.capacity, bucket.perSecond, noticeWindowMs],
  )) as [number, number, number]
  return { allowed: allowed === 1, notify: notify === 1, waitMs: Number(wait) }
}

/** Puts back one token taken by `takeToken` (never above capacity): for attempts that turned out fine. */
const RETURN_TOKEN = `
local capacity = tonumber(ARGV[1])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if tokens == nil then return 0 end
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(capacity, tokens + 1)))
return 1
`

export async function returnToken(redis: Redis, key: string, bucket: Bucket): Promise<void> {
  await evalScript(redis, RETURN_TOKEN, [key], [bucket.capacity])
}
