import { createHash } from 'node:crypto'

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

/**
 * A short digest of the database this process uses, for Redis keys that must not be shared by
 * two installations (or two test runs whose ids repeat) on one Redis.
 */
export function databaseScope(): string {
  const url = new URL(env().DATABASE_URL)
  return createHash('sha256').update(`${url.host}${url.pathname}`).digest('hex').slice(0, 10)
}

const shas = new Map<string, string>()

/**
 * Runs a Lua script by its SHA (EVALSHA), sending the body only the first time a server has not
 * seen it (NOSCRIPT): the hot paths (rate limits, send pacing) run it on every update.
 */
export async function evalScript(
  client: Redis,
  script: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  let sha = shas.get(script)
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex')
    shas.set(script, sha)
  }
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return client.eval(script, keys.length, ...keys, ...args)
  }
}
