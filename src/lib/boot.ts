import type { EventEmitter } from 'node:events'

import type { Logger } from 'pino'

import { ConfigError, env, type Env } from './env'

/**
 * For standalone entries (worker, bot, seed): validate the environment before anything else is
 * loaded, and on a bad setting stop with one line naming the variables, no stack, no values.
 * Call it before importing the Payload config (use a dynamic import after it).
 */
export function bootOrExit(): Env {
  try {
    return env()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`postforge: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

/**
 * A `pg` pool emits 'error' when an idle client's connection dies (PostgreSQL restarting: 57P01,
 * a terminated backend, a dropped network); with no listener Node turns that into an uncaught
 * exception and the process dies. The pool has already discarded the client and opens a new
 * one on the next query, so logging is all that is needed.
 *
 * The pool listens only to its idle clients: a client checked out (held by a transaction between
 * two statements, say) emits 'error' on itself, and the same uncaught exception follows (the fault
 * suite saw a worker die this way when its backends were terminated). Every client therefore gets
 * its own listener when it connects; the errored client refuses further queries, so the statement
 * that wanted it fails and is retried like any other, and the pool drops it on release.
 */
export function surviveDatabaseRestarts(pool: EventEmitter | undefined, log: Logger, name: string) {
  if (!pool || pool.listenerCount('error') > 0) return
  const lost = (error: Error & { code?: string }) => {
    log.warn({ pool: name, code: error.code, err: error.message }, 'database connection lost; the pool reconnects on the next query')
  }
  pool.on('error', lost)
  pool.on('connect', (client: EventEmitter) => {
    client.on('error', lost)
  })
  // Clients opened before this call (Payload connects while it boots) are in the pool already.
  for (const client of (pool as EventEmitter & { _clients?: EventEmitter[] })._clients ?? []) client.on('error', lost)
}
