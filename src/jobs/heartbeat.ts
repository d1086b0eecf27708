import { redis } from '../lib/redis'

const KEY = 'postforge:worker:heartbeat'

export async function recordHeartbeat(at = Date.now()) {
  await redis().set(KEY, String(at), 'EX', 3600)
}

/** Milliseconds since the worker last ran a job, or null if it never has (within an hour). */
export async function heartbeatAge(now = Date.now()): Promise<number | null> {
  const value = await redis().get(KEY)
  return value ? now - Number(value) : null
}
