import { createHash } from 'node:crypto'

import { Redis } from 'ioredis'

import { env } from './env'
import { logger } from './logger'

/**
 * How long any Redis command may take, connected or not. With Redis down a caller hears so within
 * this time (the webhook answers 503 and Telegram delivers again; health answers 503) instead of
 * waiting out several reconnect attempts.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000

let client: Redis | undefined

/**
 * The process's shared Redis connection (sessions, rate limits, dedupe, heartbeats). It keeps
 * reconnecting while Redis is away (a restart, an outage) and resumes by itself; commands issued
 * meanwhile fail fast rather than queue.
 */
export function redis(): Redis {
  client ??= connect(env().REDIS_URL)
  return client
}

function connect(url: string): Redis {
  const connection = new Redis(url, {
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // Commands issued in the same tick (by the updates and requests in flight together) go out in
    // one socket write instead of one each: under load the writes were a tenth of the web
    // process's CPU. Replies and errors are still each command's own.
    enableAutoPipelining: true,
  })
  // Without a listener every failed reconnect is printed as an unhandled error event; one line
  // when Redis goes away and one when it is back is what an operator needs.
  let down = false
  connection.on('error', (error: Error) => {
    if (down) return
    down = true
    logger().warn({ err: error }, 'Redis unavailable, reconnecting')
  })
  connection.on('ready', () => {
    if (!down) return
    down = false
    logger().info('Redis reconnected')
  })
  return connection
}

/** Closes the connection; with Redis away (QUIT cannot be sent) it is dropped instead. */
export async function closeRedis() {
  const closing = client
  client = undefined
  await closing?.quit().catch(() => closing.disconnect())
}

/**
 * A short digest of the database this process uses, for Redis keys that must not be shared by
 * two installations (or two test runs whose ids repeat) on one Redis.
 */
export function databaseScope(): string {
  // Every update builds several keys with it: parsed and hashed once per DATABASE_URL (tests
  // switch databases within one process, so the URL is the memo's key).
  const raw = env().DATABASE_URL
  if (scope?.raw !== raw) {
    const url = new URL(raw)
    scope = { raw, digest: createHash('sha256').update(`${url.host}${url.pathname}`).digest('hex').slice(0, 10) }
  }
  return scope.digest
}

let scope: { raw: string; digest: string } | undefined

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
