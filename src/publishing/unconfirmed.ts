import type { Payload } from 'payload'

import { idOf } from '../lib/ids'
import type { JobTransaction } from '../jobs/addJob'
import { notice } from '../notify'
import type { Account, Publication } from '../payload-types'
import { actingAs } from '../projects/actingAs'

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
