import type { JobHelpers, Task } from 'graphile-worker'
import type { Logger } from 'pino'
import type { Payload } from 'payload'
import { z } from 'zod'

import { logger } from '../lib/logger'
import { jobsTable } from './inspect'

export type TaskContext = { payload: Payload; log: Logger; helpers: JobHelpers }

/** A failure that retrying cannot fix (bad payload, missing record): recorded once, not retried. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentJobError'
  }
}

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

/** Makes this the job's last attempt, so the failure is recorded once and stays visible. */
async function stopRetries(helpers: JobHelpers) {
  await helpers.withPgClient((client) => client.query(`update ${jobsTable('_private_jobs')} set max_attempts = attempts where id = $1`, [helpers.job.id]))
}

/**
 * A job cut short by a shutdown did nothing wrong: the attempt it was fetched with is given back,
 * so graphile-worker releases it to run again within a second or two (its backoff grows with the
 * attempts) and the shutdowns of a busy week never use up its retries.
 */
async function giveBackAttempt(helpers: JobHelpers) {
  await helpers.withPgClient((client) => client.query(`update ${jobsTable('_private_jobs')} set attempts = greatest(attempts - 1, 0) where id = $1`, [helpers.job.id]))
}
