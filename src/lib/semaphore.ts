import { randomUUID } from 'node:crypto'

import type { Redis } from 'ioredis'

import { evalScript } from './redis'

/**
 * A counting semaphore shared by every process on one Redis: at most `limit` holders of `key` at
 * once. Each holder is a lease (a member of a sorted set scored with its expiry on Redis's clock)
 * renewed while it is held, so a process that dies frees its slots when their lease runs out.
 */
const ACQUIRE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
`

/** Extends a lease that is still held (0 when it already ran out and someone may have its slot). */
const RENEW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
  return 1
end
return 0
`

export type Lease = { release: () => Promise<void> }

export type SemaphoreOptions = {
  limit: number
  /** How long a lease lives without renewal (renewed every third of it while held). */
  leaseMs?: number
  /** How long to wait between attempts while every slot is taken. */
  pollMs?: number
  signal?: AbortSignal
}

/**
 * Waits for a slot of `key` (polling while all `limit` are taken) and holds it until `release`.
 * A wait is given up, with the signal's reason, when `signal` aborts.
 */
export async function acquireSlot(client: Redis, key: string, options: SemaphoreOptions): Promise<Lease> {
  const leaseMs = options.leaseMs ?? 30_000
  const pollMs = options.pollMs ?? 100
  const token = randomUUID()
  for (;;) {
    options.signal?.throwIfAborted()
    const got = Number(await evalScript(client, ACQUIRE, [key], [options.limit, leaseMs, token]))
    if (got === 1) break
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs)
      function done() {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', done)
        resolve()
      }
      options.signal?.addEventListener('abort', done, { once: true })
    })
  }
  const renew = setInterval(() => {
    evalScript(client, RENEW, [key], [leaseMs, token]).catch(() => {})
  }, Math.max(100, Math.floor(leaseMs / 3)))
  renew.unref()
  let released = false
  return {
    release: async () => {
      if (released) return
      released = true
      clearInterval(renew)
      await client.zrem(key, token)
    },
  }
}

/** How many leases of `key` are held now (expired ones not counted). */
export async function slotsHeld(client: Redis, key: string): Promise<number> {
  const time = await client.time()
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000)
  return client.zcount(key, now, '+inf')
}
