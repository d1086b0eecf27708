import type { CollectionAfterChangeHook } from 'payload'

import { accountIdOf } from '../../../access/actors'
import { requestRevision } from '../../../content/generation'
import { languageOf } from '../../../i18n/request'
import { logger } from '../../../lib/logger'
import type { Article } from '../../../payload-types'

/**
 * When a reviewer (staff in the admin, or the owner in the bot) sends a generated article back
 * with a note, the rewrite is queued at once, whichever face made the move, in the move's own
 * transaction: the job exists exactly when the committed change request does (a queue that cannot
 * take it fails the move, which the reviewer can repeat).
 */
export const reviseOnChangeRequest: CollectionAfterChangeHook<Article> = async ({ doc, previousDoc, operation, req }) => {
  if (operation !== 'update') return doc
  if (doc.workflowStatus !== 'changes_requested' || previousDoc?.workflowStatus === 'changes_requested') return doc
  // A customer's change request is one of their daily generations (refused past the plan's limit);
  // staff are not limited.
  const counted = accountIdOf(req) !== null ? { payload: req.payload, language: languageOf(req) } : undefined
  const queued = await requestRevision(doc, req, { counted })
  if (queued) logger().info({ article: doc.id, job: queued.jobId }, 'revision queued')
  return doc
}
