import { z } from 'zod'

import { recordHeartbeat } from '../heartbeat'
import { defineTask } from '../task'

/** Runs every minute from the crontab: proof for /api/health that the worker consumes jobs. */
export const heartbeat = defineTask('worker.heartbeat', z.object({}).passthrough(), async () => {
  await recordHeartbeat()
})
