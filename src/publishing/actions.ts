import type { PaginatedDocs, Payload } from 'payload'

import type { Account, Project, Publication } from '../payload-types'
import { actingAs } from '../projects/actingAs'

/*
 * What a customer does with the project's publications, as the account: list what waits to go
 * out, cancel it, send a failed one again. The collection's hooks decide which moves are allowed.
 */

/** Publications still waiting to go out, soonest first, with their connection and content. */
export async function listUpcoming(
  payload: Payload,
  account: Account,
  project: Project,
  { page = 1, limit = 5 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<Publication>> {
  return payload.find({
    collection: 'publications',
    where: { project: { equals: project.id }, status: { equals: 'queued' } },
    sort: 'plannedAt',
    page,
    limit,
    depth: 1,
    ...actingAs(account),
  })
}

export async function getPublication(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Publication> {
  return payload.findByID({
    collection: 'publications',
    id,
    depth: 1,
    ...actingAs(account),
  })
}

/** A status the customer asks for, as the account; the collection's hooks decide if it may. */
async function setStatusAs(payload: Payload, account: Account, id: number, status: Publication['status']): Promise<Publication> {
  await getPublication(payload, account, id)
  return payload.update({ collection: 'publications', id, data: { status }, depth: 0, ...actingAs(account) })
}

/** A customer may cancel a queued publication; the collection's hook refuses anything else. */
export function cancelPublication(payload: Payload, account: Account, id: number): Promise<Publication> {
  return setStatusAs(payload, account, id, 'cancelled')
}

/**
 * Sends a failed publication again, as the customer: the collection's hooks allow only
 * failed → queued, restart its attempts and queue the publish job.
 */
export function retryPublication(payload: Payload, account: Account, id: number): Promise<Publication> {
  return setStatusAs(payload, account, id, 'queued')
}

/** Where an article or post can be read: each publication of it that went out with an address. */
export async function publishedLinks(
  payload: Payload,
  account: Account,
  collection: 'articles' | 'posts',
  id: number,
): Promise<{ connection: string; url: string }[]> {
  const { docs } = await payload.find({
    collection: 'publications',
    where: { [collection === 'articles' ? 'article' : 'post']: { equals: id }, status: { equals: 'published' } },
    sort: 'updatedAt',
    depth: 1,
    limit: 20,
    ...actingAs(account),
  })
  return docs
    .filter((p) => p.remoteUrl)
    .map((p) => ({ connection: typeof p.connection === 'object' ? p.connection.displayName : `#${p.connection}`, url: p.remoteUrl! }))
}
