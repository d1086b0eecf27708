import type { Payload } from 'payload'

import { aiConfigured } from '../ai/config'
import type { LengthPreset } from '../ai/lengths'
import { enqueue, queuedJobId, type Enqueued } from '../jobs/enqueue'
import { AppError } from '../lib/errors'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import type { Account, Article } from '../payload-types'
import { assertWithinDailySpend } from '../usage/spend'
import { getKeyword } from '../keywords/service'
import { getContent } from './library'

export type GenerationRequest =
  | { kind: 'article'; keywordId: number; lengthPreset?: LengthPreset; secondaryKeywordIds?: number[] }
  | { kind: 'post'; keywordId: number }
  | { kind: 'post'; articleId: number }

export type GenerationOutcome = Enqueued | { limited: true }

/** The same request twice (a double tap) maps to the same key, so the worker gets one job. */
export function generationJobKey(request: GenerationRequest): string {
  if (request.kind === 'article') return `article.generate:keyword:${request.keywordId}`
  return 'articleId' in request
    ? `post.generate:article:${request.articleId}`
    : `post.generate:keyword:${request.keywordId}`
}

/**
 * Queues AI generation for content the account owns. The daily spend cap is checked first so
 * the customer hears about it now, not from a failed job; `quota` is the caller's request limit
 * (the bot's per-plan rate limit) and is only spent when a new job is actually added.
 */
export async function requestGeneration(
  payload: Payload,
  account: Account,
  request: GenerationRequest,
  { quota }: { quota?: () => Promise<boolean> } = {},
): Promise<GenerationOutcome> {
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
  const jobKey = generationJobKey(request)
  const queued = await queuedJobId(jobKey)
  if (queued) return { jobId: queued, alreadyQueued: true }
  if (quota && !(await quota())) return { limited: true }
  if (request.kind === 'article') {
    return enqueue(
      'article.generate',
      {
        accountId: account.id,
        projectId,
        keywordId: request.keywordId,
        lengthPreset: request.lengthPreset,
        secondaryKeywordIds: request.secondaryKeywordIds,
      },
      { jobKey },
    )
  }
  return enqueue(
    'post.generate',
    'articleId' in request
      ? { accountId: account.id, projectId, articleId: request.articleId }
      : { accountId: account.id, projectId, keywordId: request.keywordId },
    { jobKey },
  )
}

/**
 * A reviewer asked for changes to a generated article: the worker rewrites it with the note as
 * input (the previous text stays in the article's versions). Articles written by hand (no main
 * keyword) are left to their author. Runs as the system, after the move was allowed.
 */
export async function requestRevision(article: Article): Promise<Enqueued | null> {
  const keywordId = article.mainKeyword ? Number(idOf(article.mainKeyword)) : null
  if (!keywordId || !article.account) return null
  return enqueue(
    'article.generate',
    {
      accountId: Number(idOf(article.account)),
      projectId: Number(idOf(article.project)),
      keywordId,
      articleId: article.id,
      lengthPreset: article.lengthPreset ?? undefined,
    },
    // A moment's delay: the job must see the committed change request, not the row before it.
    { jobKey: `article.generate:article:${article.id}`, runAt: new Date(Date.now() + 2_000) },
  )
}
