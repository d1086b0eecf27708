import type { JobHelpers, Task } from 'graphile-worker'
import type { Logger } from 'pino'
import type { Payload } from 'payload'
import { z } from 'zod'

import { logger } from '../lib/logger'
import { PermanentJobError } from './contracts'
import { giveBackAttempt, stopRetries } from './queue'

export type TaskContext = { payload: Payload; log: Logger; helpers: JobHelpers }

export { PermanentJobError }

/**
 * One task: its payload parsed with zod first (old jobs may carry old shapes), a child logger per
 * job, and permanent failures that stop retries while keeping the error visible to staff.
 */
export function defineTask<S extends z.ZodType>(
  name: string,
  schema: S,
  handler: (input: z.infer<S>, ctx: TaskContext) => Promise<void>,
): (getPayload: () => Promise<Payload>) => [string, Task] {
  return (getPayload) => [
    name,
    async (raw, helpers) => {
      const log = logger().child({ job: helpers.job.id, task: name, attempt: helpers.job.attempts })
      try {
        const parsed = schema.safeParse(raw)
        if (!parsed.success) {
          throw new PermanentJobError(
            `invalid payload for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}`,
          )
        }
        await handler(parsed.data, { payload: await getPayload(), log, helpers })
      } catch (error) {
        if (error instanceof PermanentJobError) {
          log.error({ err: error.message }, 'job failed permanently')
          await stopRetries(helpers)
        } else if (helpers.abortSignal?.aborted) {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'job stopped by the worker shutting down; released to resume')
          await giveBackAttempt(helpers)
        } else {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'job failed, will retry')
        }
        throw error
      }
    },
  ]
}
