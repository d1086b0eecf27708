import { randomUUID } from 'node:crypto'

import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acquireSlot, slotsHeld } from '../../src/lib/semaphore'
import { waitFor } from '../helpers/wait'

// Two connections stand for two worker processes sharing one Redis.
let one: Redis
let two: Redis
beforeAll(() => {
  one = new Redis('redis://127.0.0.1:6379')
  two = new Redis('redis://127.0.0.1:6379')
})
afterAll(async () => {
  await one.quit()
  await two.quit()
})

const keyOf = () => `pf:test:semaphore:${randomUUID()}`

describe('Redis semaphore for section slots', () => {
  it('lets at most `limit` holders in across processes, and the next one in when a slot is released', async () => {
    const key = keyOf()
    const a = await acquireSlot(one, key, { limit: 2 })
    const b = await acquireSlot(two, key, { limit: 2 })
    expect(await slotsHeld(one, key)).toBe(2)
    let thirdIn = false
    const third = acquireSlot(two, key, { limit: 2, pollMs: 20 }).then((lease) => {
      thirdIn = true
      return lease
    })
    // The third holder is still waiting while both slots are held (a check that a slow machine can
    // only make pass more easily, never fail).
    await new Promise((r) => setTimeout(r, 200))
    expect(thirdIn).toBe(false)
    await a.release()
    const c = await third
    expect(await slotsHeld(one, key)).toBe(2)
    await b.release()
    await c.release()
    expect(await slotsHeld(one, key)).toBe(0)
  })

  it('frees the slot of a process that died once its lease runs out, while a live holder keeps renewing', async () => {
    const key = keyOf()
    // A dead process's lease: never renewed, 300 ms left.
    const time = await one.time()
    await one.zadd(key, Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000) + 300, 'dead-worker')
    const live = await acquireSlot(one, key, { limit: 2, leaseMs: 1500 })
    const liveMember = (await one.zrange(key, '0', '-1')).find((m) => m !== 'dead-worker')!
    const expiryOfLive = async () => Number(await one.zscore(key, liveMember))
    const firstExpiry = await expiryOfLive()
    // Both slots are taken until the dead lease runs out; then the waiting holder gets it.
    const next = await acquireSlot(two, key, { limit: 2, leaseMs: 1500, pollMs: 20 })
    expect(await one.zscore(key, 'dead-worker')).toBeNull()
    // The live holder renews its lease while it holds it.
    await waitFor(async () => (await expiryOfLive()) > firstExpiry, 10_000, 50)
    expect(await slotsHeld(one, key)).toBe(2)
    await live.release()
    await next.release()
  })

  it('gives up waiting when the job is stopped', async () => {
    const key = keyOf()
    const held = await acquireSlot(one, key, { limit: 1 })
    const stop = new AbortController()
    const waiting = acquireSlot(two, key, { limit: 1, signal: stop.signal })
    stop.abort(new Error('worker shutting down'))
    await expect(waiting).rejects.toThrow('worker shutting down')
    expect(await slotsHeld(one, key)).toBe(1)
    await held.release()
  })
})
