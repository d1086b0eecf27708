import { databaseScope, redis } from '../lib/redis'

/** One heartbeat per installation (database), even when several share a Redis. */
const key = () => `pf:${databaseScope()}:worker:heartbeat`

export async function recordHeartbeat(at = Date.now()) {
  await redis().set(key(), String(at), 'EX', 3600)
}

/** Milliseconds since the worker last ran a job, or null if it never has (within an hour). */
export async function heartbeatAge(now = Date.now()): Promise<number | null> {
  const value = await redis().get(key())
  return value ? now - Number(value) : null
}
