import type { JobHelpers } from 'graphile-worker'
import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { PermanentJobError } from '../jobs/contracts'
import { AppError } from '../http/errors'
import { AiOutputError } from './call'
import { ChatProgress } from './chat'
import { AiConfigError } from './config'
import { MissingInputError, type JobRun } from './jobContext'

type What = 'cluster' | 'article' | 'post'

/**
 * Runs a generation use case inside a job and decides what a failure means: over the daily cap,
 * missing input, bad configuration or unusable output stop the job for good (the customer is
 * told why, in their language); models that did not answer are retried by the worker, and the
 * customer hears about it only when the last attempt fails.
 */
export async function runGeneration<T>(
  what: What,
  job: { payload: Payload; log: Logger; helpers: JobHelpers; accountId: number },
  use: (run: JobRun) => Promise<T>,
  onGiveUp: (reason: string) => Promise<void> = async () => {},
): Promise<T> {
  const { helpers, payload, log, accountId } = job
  const run: JobRun = { log, jobKey: helpers.job.key ?? `${helpers.job.task_identifier}:${helpers.job.id}`, signal: helpers.abortSignal }
  const tell = async (say: (chat: ChatProgress) => Promise<void>) => {
    try {
      await say(await ChatProgress.open(payload, accountId, log))
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'could not tell the customer')
    }
  }
  const failed = (reasonKey: string) => tell((chat) => chat.say('ai.failed', { what: chat.text(`ai.what.${what}`), reason: chat.text(reasonKey) }))
  try {
    return await use(run)
  } catch (error) {
    if (error instanceof AppError && error.code === 'usage.daily_cap') {
      await tell((chat) => chat.sayText(error.message))
      throw new PermanentJobError(`stopped before any model call: ${error.message}`)
    }
    if (error instanceof MissingInputError) {
      await failed('ai.reason.missing')
      throw new PermanentJobError(error.message)
    }
    if (error instanceof AiConfigError) {
      await onGiveUp(error.message)
      throw new PermanentJobError(`AI configuration: ${error.message}`)
    }
    if (error instanceof AiOutputError) {
      await onGiveUp(error.message)
      await failed('ai.reason.output')
      throw new PermanentJobError(error.message)
    }
    const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts
    if (lastAttempt && !helpers.abortSignal?.aborted) {
      const message = error instanceof Error ? error.message : String(error)
      await onGiveUp(message)
      await failed('ai.reason.models')
    }
    throw error
  }
}
