import type { CollectionAfterChangeHook } from 'payload'

import { requestRevision } from '../../../content/generation'
import { logger } from '../../../lib/logger'
import type { Article } from '../../../payload-types'

/**
 * When a reviewer (staff in the admin, or the owner in the bot) sends a generated article back
 * with a note, the rewrite is queued at once, whichever face made the move. Queueing is best
 * effort: the change request itself is never undone by a queue problem.
 */
export const reviseOnChangeRequest: CollectionAfterChangeHook<Article> = async ({ doc, previousDoc, operation, req }) => {
  if (operation !== 'update') return doc
  if (doc.workflowStatus !== 'changes_requested' || previousDoc?.workflowStatus === 'changes_requested') return doc
  try {
    const queued = await requestRevision(doc)
    if (queued) req.payload.logger.info({ article: doc.id, job: queued.jobId }, 'revision queued')
  } catch (error) {
    logger().warn({ err: error, article: doc.id }, 'revision not queued; the article waits for a manual request')
  }
  return doc
}
