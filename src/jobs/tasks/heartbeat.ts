import { recordHeartbeat } from '../heartbeat'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/** Runs every minute from the crontab: proof for /api/health that the worker consumes jobs. */
export const heartbeat = defineTask('worker.heartbeat', JOBS['worker.heartbeat'].payload, async () => {
  await recordHeartbeat()
})
