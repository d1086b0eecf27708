import type { Payload } from 'payload'

import { aiConfigured } from '../ai/config'
import { AppError } from '../http/errors'
import type { Enqueued } from '../jobs/contracts'
import type { Account } from '../payload-types'
import { assertWithinDailySpend } from '../usage/spend'
import { requestRevision } from './generation'
import { getContent } from './library'

/**
 * "Try again" under a failed rewrite (after a change request): checked as the account (its
 * article, readable by it: not blocked), with AI configured and the daily spend cap as for a new
 * order, then the same job queued again under the same key (a job still running is reported).
 */
export async function retryRevision(payload: Payload, account: Account, articleId: number): Promise<Enqueued> {
  const article = await getContent(payload, account, 'articles', articleId)
  if (!aiConfigured()) throw new AppError('ai.not_configured', 503, account.language)
  await assertWithinDailySpend(payload, account.id)
  const queued = await requestRevision(article, undefined, { counted: { payload, language: account.language } })
  if (!queued) throw new AppError('ai.reason.missing', 404, account.language)
  return queued
}
