import type { StorageAdapter } from 'grammy'
import type { Redis } from 'ioredis'

/**
 * How stale a session's expiry may get before an unchanged session is written again anyway (at
 * most a tenth of the TTL): a quiet chat's session still lives about `ttlSeconds` after its last
 * update, less at most this.
 */
export const SESSION_REFRESH_SECONDS = 60 * 60

type Read = { raw: string; expiresAt: number }

/**
 * Sessions in Redis as JSON with a TTL (as @grammyjs/storage-redis keeps them), minus the write
 * of every update: grammY writes back every session that was read, and most updates (a menu, a
 * list, a page) change nothing. An unchanged session is written again only when its expiry is
 * more than SESSION_REFRESH_SECONDS older than a fresh write would give; the read fetches the
 * expiry in the same round trip as the value.
 *
 * What was read is remembered beside the object handed to grammY (a WeakMap on it), so nothing
 * outlives the update, and a session replaced or changed in the update is always written.
 */
export class RedisSessionStorage<T extends object> implements StorageAdapter<T> {
  private readonly reads = new WeakMap<object, Read>()

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async read(key: string): Promise<T | undefined> {
    const answers = await this.redis.pipeline().get(key).pttl(key).exec()
    const [getError, raw] = answers![0]
    if (getError) throw getError
    if (typeof raw !== 'string') return undefined
    const value = JSON.parse(raw) as T
    const [, pttl] = answers![1]
    // No expiry (-1) or an error: treat as due for a write.
    const expiresAt = typeof pttl === 'number' && pttl > 0 ? Date.now() + pttl : 0
    if (value !== null && typeof value === 'object') this.reads.set(value, { raw, expiresAt })
    return value
  }

  async write(key: string, value: T): Promise<void> {
    const raw = JSON.stringify(value)
    const read = this.reads.get(value)
    const slack = Math.min(SESSION_REFRESH_SECONDS, this.ttlSeconds / 10)
    if (read && read.raw === raw && read.expiresAt >= Date.now() + (this.ttlSeconds - slack) * 1000) return
    await this.redis.set(key, raw, 'EX', this.ttlSeconds)
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key)
  }
}
