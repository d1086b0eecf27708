import { env } from '../lib/env'
import { databaseScope, redis } from '../lib/redis'

/**
 * One heartbeat per installation (database) and queue, even when several share a Redis. Its value
 * is when the worker last ran the once-a-minute heartbeat job (it consumes jobs); the key lives
 * only as long as a worker process keeps renewing it (it is alive), so a killed worker shows in
 * /api/health within WORKER_DEAD_AFTER_MS rather than when the last job's time grows old.
 */
const key = () => {
  const schema = env().GRAPHILE_WORKER_SCHEMA
  return `pf:${databaseScope()}:worker:heartbeat${schema === 'graphile_worker' ? '' : `:${schema}`}`
}

export async function recordHeartbeat(at = Date.now()) {
  await redis().set(key(), String(at), 'PX', env().WORKER_DEAD_AFTER_MS)
}

/** Called by every live worker every few seconds: the last job's time stays, its life is renewed. */
export async function renewHeartbeat() {
  await redis().pexpire(key(), env().WORKER_DEAD_AFTER_MS)
}

/** Milliseconds since the worker last ran a job, or null if no live worker has run one. */
export async function heartbeatAge(now = Date.now()): Promise<number | null> {
  const value = await redis().get(key())
  return value ? now - Number(value) : null
}
