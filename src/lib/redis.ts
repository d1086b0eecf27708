import { Redis } from 'ioredis'

import { env } from './env'

let client: Redis | undefined

/** The process's shared Redis connection (sessions, rate limits, dedupe, heartbeats). */
export function redis(): Redis {
  client ??= new Redis(env().REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: false })
  return client
}

export async function closeRedis() {
  await client?.quit()
  client = undefined
}
