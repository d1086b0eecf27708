import { jobKeyOf, queuedJobId, type JobTransaction } from '../jobs/addJob'
import { idOf } from '../lib/ids'
import type { Article } from '../payload-types'

/** Generation states in which the worker is writing into the article. */
export const WRITING_STATES = ['outline', 'sections', 'finishing'] as const

type GeneratedArticle = Pick<Article, 'id' | 'account' | 'project' | 'mainKeyword' | 'workflowStatus' | 'generation'>

/**
 * Whether the AI is writing the article now or is about to: its pipeline is part-way through, or a
 * rewrite is queued for it (a change request queues one; so does a new article ordered for the
 * keyword of a sent-back one, which rewrites it). Such an article cannot move through review until
 * the text is ready; the pipeline moves it itself when it is. Given `req`, jobs queued in the
 * same transaction count too.
 */
export async function beingGenerated(article: GeneratedArticle, req?: JobTransaction): Promise<boolean> {
  if ((WRITING_STATES as readonly string[]).includes(article.generation?.state ?? 'idle')) return true
  const keywordId = Number(idOf(article.mainKeyword))
  if (!keywordId) return false
  const job = { accountId: Number(idOf(article.account)), projectId: Number(idOf(article.project)), keywordId }
  if (await queuedJobId(jobKeyOf('article.generate', { ...job, articleId: article.id })!, req)) return true
  return article.workflowStatus === 'changes_requested' && (await queuedJobId(jobKeyOf('article.generate', job)!, req)) !== null
}
