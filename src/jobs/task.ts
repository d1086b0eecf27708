import type { JobHelpers, Task } from 'graphile-worker'
import type { Logger } from 'pino'
import type { Payload } from 'payload'
import { z } from 'zod'

import { logger } from '../lib/logger'
import { metrics, reportError, secondsSince, SpanKind, withSpan } from '../lib/telemetry'
import { PermanentJobError, TRACE_FIELD } from './contracts'
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
    // Observability (O6): each run is a span continuing the trace the job was queued in (the
    // traceparent addJob put beside the payload), counted and timed by task and outcome; an
    // unexpected failure is reported once with the job id, task and account id.
    async (raw, helpers) => {
      const traceparent = traceparentOf(raw)
      const started = performance.now()
      const jobTags = { job_id: helpers.job.id, task: name, attempt: helpers.job.attempts }
      return withSpan(`job ${name}`, { 'job.id': helpers.job.id, 'job.task': name, 'job.attempt': helpers.job.attempts }, async () => {
        const log = logger().child({ job: helpers.job.id, task: name, attempt: helpers.job.attempts })
        const done = (outcome: string) => {
          metrics().jobs.inc({ task: name, outcome })
          metrics().jobDuration.observe({ task: name, outcome }, secondsSince(started))
        }
        try {
          const parsed = schema.safeParse(raw)
          if (!parsed.success) {
            throw new PermanentJobError(
              `invalid payload for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}`,
            )
          }
          await handler(parsed.data, { payload: await getPayload(), log, helpers })
          done('ok')
        } catch (error) {
          if (error instanceof PermanentJobError) {
            const ref = reportError(error, { tags: jobTags, accountId: accountOf(raw) })
            log.error({ err: error.message, ref }, 'job failed permanently')
            done('failed')
            await stopRetries(helpers)
          } else if (helpers.abortSignal?.aborted) {
            log.warn({ err: error instanceof Error ? error.message : String(error) }, 'job stopped by the worker shutting down; released to resume')
            done('released')
            await giveBackAttempt(helpers)
          } else {
            const last = helpers.job.attempts >= helpers.job.max_attempts
            // Reported when no attempt is left (one event per failed job, not one per retry).
            const ref = last ? reportError(error, { tags: jobTags, accountId: accountOf(raw) }) : undefined
            log.warn({ err: error instanceof Error ? error.message : String(error), ref }, last ? 'job failed, no attempts left' : 'job failed, will retry')
            done(last ? 'failed' : 'retry')
          }
          throw error
        }
      }, { parent: traceparent, kind: SpanKind.CONSUMER })
    },
  ]
}

function traceparentOf(raw: unknown): string | undefined {
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[TRACE_FIELD] : undefined
  return typeof value === 'string' && value.length <= 64 ? value : undefined
}

/** The account a job works for, when its payload names one (most do). */
function accountOf(raw: unknown): number | undefined {
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).accountId : undefined
  return typeof value === 'number' ? value : undefined
}
