import type { Payload } from 'payload'

import { aiConfigured } from '../ai/config'
import { assertCanAfford } from '../billing/credits'
import type { LengthPreset } from '../ai/lengths'
import { addJob, jobKeyOf, queuedJobId, type JobTransaction } from '../jobs/addJob'
import type { Enqueued, JobInput } from '../jobs/contracts'
import { AppError } from '../http/errors'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import type { Account, Article } from '../payload-types'
import { dailyLimitError, takeDailyGeneration, type DailyLimitRefusal } from '../usage/generations'
import { assertWithinDailySpend } from '../usage/spend'
import { getKeyword } from '../keywords/service'
import { getMedia } from '../media/service'
import { getContent } from './library'

export type GenerationRequest =
  | { kind: 'article'; keywordId: number; lengthPreset?: LengthPreset; secondaryKeywordIds?: number[] }
  | { kind: 'post'; keywordId: number; mediaId?: number }
  | { kind: 'post'; articleId: number; mediaId?: number }

export type GenerationOutcome = Enqueued | { limited: DailyLimitRefusal }

/**
 * Queues AI generation for content the account owns. The daily spend cap is checked first so
 * the customer hears about it now, not from a failed job; one of the plan's daily generations
 * is taken here, for every face, and only when a new job is actually added (a double tap or an
 * order already queued costs nothing).
 */
export async function requestGeneration(payload: Payload, account: Account, request: GenerationRequest): Promise<GenerationOutcome> {
  const source =
    'articleId' in request
      ? await getContent(payload, account, 'articles', request.articleId)
      : await getKeyword(payload, account, request.keywordId)
  const projectId = Number(idOf(source.project))
  if (!aiConfigured()) {
    logger().warn('AI generation requested but AI_API_KEY is not set: see .env.example')
    throw new AppError('ai.not_configured', 503, account.language)
  }
  await assertWithinDailySpend(payload, account.id)
  // With billing on: enough credits for what the job will hold (src/billing/credits.ts).
  await assertCanAfford(payload, account, request.kind)
  // The customer's own image must be one of theirs, in the same project (read as the account).
  const mediaId = request.kind === 'post' && request.mediaId ? request.mediaId : undefined
  if (mediaId !== undefined && Number(idOf((await getMedia(payload, account, mediaId)).project)) !== projectId)
    throw new AppError('image.other_project', 403, account.language)
  // The same request twice (a double tap) has the same job key (the jobs' contracts): one job.
  const job =
    request.kind === 'article'
      ? generationJob('article.generate', {
          accountId: account.id,
          projectId,
          keywordId: request.keywordId,
          lengthPreset: request.lengthPreset,
          secondaryKeywordIds: request.secondaryKeywordIds,
        })
      : generationJob(
          'post.generate',
          'articleId' in request
            ? { accountId: account.id, projectId, articleId: request.articleId, mediaId }
            : { accountId: account.id, projectId, keywordId: request.keywordId, mediaId },
        )
  const queued = await queuedJobId(job.key)
  if (queued) return { jobId: queued, alreadyQueued: true }
  return withDailyGeneration(payload, account.id, job.add)
}

/**
 * Adds a generation job paying one of the account's daily generations (read with the account as
 * stored now, never a cached copy: a plan staff just changed applies to this order), given back
 * when the job could not be added.
 */
async function withDailyGeneration(payload: Payload, accountId: number, add: () => Promise<Enqueued>, req?: JobTransaction): Promise<GenerationOutcome> {
  const current = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true, req: req as never })
  const allowance = await takeDailyGeneration(payload, current)
  if (!allowance.allowed) return { limited: allowance.refusal }
  try {
    return await add()
  } catch (error) {
    await allowance.release()
    throw error
  }
}

/** A generation job's key (generation jobs always have one) and the call that adds it. */
function generationJob<N extends 'article.generate' | 'post.generate'>(name: N, input: JobInput<N>) {
  return { key: jobKeyOf(name, input)!, add: () => addJob(name, input) }
}

/**
 * A reviewer asked for changes to a generated article: the worker rewrites it with the note as
 * input (the previous text stays in the article's versions). Articles written by hand (no main
 * keyword) are left to their author. Runs as the system, after the move was allowed, in the
 * move's own transaction (`req`): the job exists only once the change request is committed.
 */
export async function requestRevision(
  article: Article,
  req?: JobTransaction,
  { counted }: { counted?: { payload: Payload; language: string | null | undefined } } = {},
): Promise<Enqueued | null> {
  const keywordId = article.mainKeyword ? Number(idOf(article.mainKeyword)) : null
  if (!keywordId || !article.account) return null
  const input = {
    accountId: Number(idOf(article.account)),
    projectId: Number(idOf(article.project)),
    keywordId,
    articleId: article.id,
    lengthPreset: article.lengthPreset ?? undefined,
  }
  const add = () => addJob('article.generate', input, { req })
  if (!counted) return add()
  // Ordered by the customer (a change request, "Try again"): one of their daily generations,
  // unless the same rewrite is already queued.
  const queued = await queuedJobId(jobKeyOf('article.generate', input)!, req)
  if (queued) return { jobId: queued, alreadyQueued: true }
  const outcome = await withDailyGeneration(counted.payload, input.accountId, add, req)
  if ('limited' in outcome) throw dailyLimitError(outcome.limited, counted.language)
  return outcome
}
