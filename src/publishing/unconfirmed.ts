import type { Payload } from 'payload'

import { t } from '../i18n'
import { idOf } from '../lib/ids'
import { notifyAccount, type NoticeButton } from '../notify/telegram'
import type { Account, Publication } from '../payload-types'
import { actingAs } from '../projects/actingAs'

/**
 * What the customer can do about an unconfirmed publication: say it is out ("It is published",
 * recorded as their decision), send it again (after a confirmation that says a second copy may
 * appear), or open the content.
 */
export function unconfirmedButtons(publication: Pick<Publication, 'id' | 'article' | 'post'>): NoticeButton[] {
  const contentId = idOf(publication.article ?? publication.post)
  return [
    { key: 'fix.is_published', data: `u:y:${publication.id}` },
    { key: 'fix.publish_again', data: `u:a:${publication.id}` },
    ...(contentId ? [{ key: 'fix.open', data: `c:o:${publication.article ? 'a' : 'p'}:${contentId}` }] : []),
  ]
}

async function noticeParts(payload: Payload, publicationId: number) {
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 1, overrideAccess: true })
  const content = publication.article ?? publication.post
  const connection = publication.connection
  return {
    publication,
    accountId: Number(idOf(publication.account)),
    title: typeof content === 'object' && content ? content.title : `#${publicationId}`,
    connection: typeof connection === 'object' ? connection.displayName : '',
  }
}

/**
 * Tells the customer a publication's outcome is unknown, why, and the buttons to settle it. The
 * one notice for every way a publication becomes unconfirmed: a platform that did not answer
 * (the publish job; the stored reason is already in the customer's language) and a worker that
 * died mid-call (the sweeper, which names a text key so the customer reads it in their
 * language while staff read the stored English reason). Best effort, like every notice.
 */
export async function notifyUnconfirmed(payload: Payload, publicationId: number, reasonKey?: string): Promise<boolean> {
  const { publication, accountId, title, connection } = await noticeParts(payload, publicationId)
  if (publication.status !== 'unconfirmed') return false
  const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true })
  const reason = reasonKey || !publication.lastError ? t(account.language, reasonKey ?? 'publish.unconfirmed') : publication.lastError
  return notifyAccount(payload, accountId, 'notify.publication_unconfirmed', { title, connection, reason }, { buttons: unconfirmedButtons(publication) })
}

/** A later lookup found the unconfirmed publication on the platform: the customer hears so, with the link. */
export async function notifyFound(payload: Payload, publicationId: number): Promise<boolean> {
  const { publication, accountId, title, connection } = await noticeParts(payload, publicationId)
  const buttons: NoticeButton[] = publication.remoteUrl ? [{ key: 'fix.open_post', url: publication.remoteUrl }] : []
  return notifyAccount(payload, accountId, 'notify.publication_found', { title, connection, link: publication.remoteUrl ?? '' }, { buttons })
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
