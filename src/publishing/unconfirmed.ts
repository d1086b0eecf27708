import type { Payload } from 'payload'

import { t } from '../i18n'
import { idOf } from '../lib/ids'
import { addJob, inTransaction, type JobTransaction } from '../jobs/addJob'
import { LOOKUP_AFTER_MS } from '../jobs/contracts'
import { notice } from '../notify'
import type { Account, Publication } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { markStuckUnconfirmed } from './publications'

async function noticeParts(payload: Payload, publicationId: number, req?: JobTransaction) {
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 1, overrideAccess: true, req })
  const content = publication.article ?? publication.post
  const connection = publication.connection
  return {
    publication,
    accountId: Number(idOf(publication.account)),
    title: typeof content === 'object' && content ? content.title : `#${publicationId}`,
    connection: typeof connection === 'object' ? connection.displayName : '',
    collection: publication.article ? ('articles' as const) : ('posts' as const),
    contentId: idOf(publication.article ?? publication.post) ?? undefined,
  }
}

/**
 * Tells the customer a publication's outcome is unknown, why, and (in the bot's rendering) the
 * buttons to settle it. The one notice for every way a publication becomes unconfirmed: a
 * platform that did not answer (the publish job; the stored reason is already in the customer's
 * language) and a worker that died mid-call (the sweeper, which names a text key so the customer
 * reads it in their language while staff read the stored English reason). Given the settling
 * write's `req`, the notice joins its transaction.
 */
export async function notifyUnconfirmed(payload: Payload, publicationId: number, reasonKey?: string, req?: JobTransaction): Promise<boolean> {
  const { publication, accountId, title, connection, collection, contentId } = await noticeParts(payload, publicationId, req)
  if (publication.status !== 'unconfirmed') return false
  const reason = reasonKey || !publication.lastError ? undefined : publication.lastError
  await notice(req ?? payload, {
    accountId,
    event: 'publication.unconfirmed',
    data: { publicationId, title, connection, reason, reasonKey: reason ? undefined : (reasonKey ?? 'publish.unconfirmed'), collection, contentId: contentId ? Number(contentId) : undefined },
  })
  return true
}

/**
 * Publications whose publish call was cut off (the worker died, its pool lost PostgreSQL, or the
 * job broke after the claim): the call may or may not have reached the platform, so they become
 * unconfirmed with the reason (in English, for staff), the customer is told in their language,
 * and a read-only lookup is queued for a minute later (found: published; otherwise a person
 * decides). Never re-sent. Only rows still `publishing` change; given `req`, all of it joins the
 * caller's transaction, so a notice is never lost nor sent for nothing.
 */
export async function settleAbandonedPublications(
  payload: Payload,
  ids: number[],
  reasonKey: 'publish.worker_died' | 'publish.interrupted' = 'publish.worker_died',
  req?: JobTransaction,
): Promise<number[]> {
  if (ids.length === 0) return []
  if (!req) return inTransaction(payload, (own) => settleAbandonedPublications(payload, ids, reasonKey, own))
  const marked = await markStuckUnconfirmed(payload, 0, t('en', reasonKey), ids, req)
  for (const id of marked) {
    await notifyUnconfirmed(payload, id, reasonKey, req)
    await addJob('publications.sweep', { publicationIds: [id] }, { req, runAt: new Date(Date.now() + LOOKUP_AFTER_MS) })
  }
  return marked
}

/** A later lookup found the unconfirmed publication on the platform: the customer hears so, with the link. */
export async function notifyFound(payload: Payload, publicationId: number, req?: JobTransaction): Promise<boolean> {
  const { publication, accountId, title, connection } = await noticeParts(payload, publicationId, req)
  await notice(req ?? payload, { accountId, event: 'publication.found', data: { publicationId, title, connection, link: publication.remoteUrl ?? '' } })
  return true
}

/**
 * The customer says an unconfirmed publication did go out. The collection's hooks allow it only
 * from unconfirmed, record who decided in the history and move the content to published.
 */
export async function markPublishedAs(payload: Payload, account: Account, id: number): Promise<Publication> {
  return payload.update({ collection: 'publications', id, data: { status: 'published' }, depth: 0, ...actingAs(account) })
}

/**
 * The customer sends an unconfirmed publication again, knowing a second copy may appear: back to
 * queued, due now, its publish job queued (the collection's hooks, as for a failed one).
 */
export async function publishAgainAs(payload: Payload, account: Account, id: number): Promise<Publication> {
  return payload.update({ collection: 'publications', id, data: { status: 'queued' }, depth: 0, ...actingAs(account) })
}

/** How many unconfirmed publications the bot lists for a project (newest first). */
const LISTED = 10

/** A project's publications waiting for the customer's decision, as the customer sees them. */
export async function listUnconfirmedAs(payload: Payload, account: Account, projectId: number): Promise<Publication[]> {
  const result = await payload.find({
    collection: 'publications',
    where: { project: { equals: projectId }, status: { equals: 'unconfirmed' } },
    sort: '-updatedAt',
    limit: LISTED,
    depth: 1,
    ...actingAs(account),
  })
  return result.docs
}
