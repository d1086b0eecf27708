import type { JobHelpers } from 'graphile-worker'
import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { refundGeneration, reserveGeneration, settleGeneration } from '../billing/credits'
import { PermanentJobError } from '../jobs/contracts'
import { AppError } from '../http/errors'
import { AiOutputError } from './call'
import { ChatProgress, forgetProgress } from './chat'
import { AiConfigError } from './config'
import { failureReasonKey } from './failure'
import { MissingInputError, type JobRun } from './jobContext'
import { rememberFailedJob } from './retry'
import { opens, UPGRADE_BUTTONS } from '../notify/targets'

type What = 'cluster' | 'article' | 'post'


/**
 * Runs a generation use case inside a job and decides what a failure means: over the daily cap,
 * missing input, bad configuration or unusable output stop the job for good (the customer is
 * told why, in their language); models that did not answer are retried by the worker, and the
 * customer hears about it only when the last attempt fails. A job over for good tells what
 * happened in words (never a model id or an HTTP status: those stay in the logs and the staff
 * jobs view) with a "Try again" button, and its next run starts a status message of its own.
 *
 * With billing on (src/billing/credits.ts) the generation holds credits before any model call
 * (refused with `billing.no_credits` when the balance cannot cover the estimate), is charged its
 * recorded cost when it succeeds, and gets everything back, once, when it is over for good; a
 * retried attempt keeps the same hold.
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
  const failed = (reasonKey: string, retry = true) =>
    tell(async (chat) => {
      const token = retry ? await rememberFailedJob(accountId, helpers.job.task_identifier, helpers.job.payload).catch(() => null) : null
      await chat.say('ai.failed', { what: chat.text(`ai.what.${what}`), reason: chat.text(reasonKey) }, token ? [{ key: 'ai.retry', data: opens.retry(token) }] : [])
    })
  // A generation over for good gives back what it held; a failure to do so is logged, never hidden
  // behind the customer's message (the hold stays open and the next run of the job reuses it).
  const giveBack = () =>
    refundGeneration(payload, { accountId, jobRef: run.jobKey }).catch((error: Error) =>
      log.error({ err: error.message, jobKey: run.jobKey }, 'could not give back the credits of a failed generation'),
    )
  try {
    const hold = await reserveGeneration(payload, { accountId, kind: what, jobRef: run.jobKey })
    const result = await use(run)
    await settleGeneration(payload, hold).catch((error: Error) =>
      log.error({ err: error.message, jobKey: run.jobKey }, 'generation done but its credits not settled: the hold stays open until billing.sweep settles it to the recorded cost'),
    )
    await forgetProgress(run.jobKey, log)
    return result
  } catch (error) {
    if (error instanceof AppError && (error.code === 'usage.daily_cap' || error.code === 'billing.no_credits')) {
      await giveBack()
      await forgetProgress(run.jobKey, log)
      // The refusal carries the way past it (change plan, buy credits), as every limit refusal does.
      await tell((chat) => chat.sayText(error.message, [...UPGRADE_BUTTONS]))
      throw new PermanentJobError(`stopped before any model call: ${error.message}`)
    }
    if (error instanceof MissingInputError) {
      await giveBack()
      await forgetProgress(run.jobKey, log)
      await failed('ai.reason.missing', false)
      throw new PermanentJobError(error.message)
    }
    if (error instanceof AiConfigError) {
      await giveBack()
      await forgetProgress(run.jobKey, log)
      await onGiveUp(error.message)
      await failed('ai.reason.service')
      throw new PermanentJobError(`AI configuration: ${error.message}`)
    }
    if (error instanceof AiOutputError) {
      await giveBack()
      await forgetProgress(run.jobKey, log)
      await onGiveUp(error.message)
      await failed(failureReasonKey(error))
      throw new PermanentJobError(error.message)
    }
    const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts
    if (lastAttempt && !helpers.abortSignal?.aborted) {
      await giveBack()
      const message = error instanceof Error ? error.message : String(error)
      await forgetProgress(run.jobKey, log)
      await onGiveUp(message)
      await failed(failureReasonKey(error))
    }
    throw error
  }
}
