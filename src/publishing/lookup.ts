import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { t } from '../i18n'
import { inTransaction } from '../jobs/addJob'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import type { Article, Post, Publication } from '../payload-types'
import { PublishError, type PublishResult } from './connector'
import { connectorFor } from './connectors'
import { openCredentials } from './credentials'
import { publishItemFor } from './item'
import { markContentPublished, publishContext } from './publish'
import { confirmFound } from './publications'
import { notifyFound } from './unconfirmed'

export type LookupOutcome = 'found' | 'not_found' | 'manual' | 'error' | 'skipped'

/**
 * Posts another publication on the same connection already holds are not ours: two
 * publications with the same text (VK, Instagram) must not both claim one post.
 */
async function unclaimed(payload: Payload, publication: Publication, candidates: PublishResult[]): Promise<PublishResult[]> {
  if (candidates.length === 0) return []
  const result = await payload.db.drizzle.execute(sql`
    select remote_id from publications
     where connection_id = ${idOf(publication.connection)} and id <> ${publication.id}
       and remote_id in (${sql.join(candidates.map((c) => sql`${c.remoteId}`), sql`, `)})`)
  const taken = new Set((result.rows as { remote_id: string }[]).map((r) => r.remote_id))
  return candidates.filter((c) => !taken.has(c.remoteId))
}

/**
 * Settles an unconfirmed publication by asking the platform, read-only, whether the post
 * exists (our random marker, or its exact text, made after the first call and held by no other
 * publication). Found: published with the remote id, and the customer is told with the link.
 * Not found: it stays unconfirmed, so a person decides; nothing is ever re-sent from here.
 * Platforms that cannot be searched (Telegram) and rows sent before markers existed are left
 * for a person at once.
 */
export async function resolveUnconfirmed(payload: Payload, publicationId: number): Promise<LookupOutcome> {
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 0, overrideAccess: true, disableErrors: true })
  if (!publication || publication.status !== 'unconfirmed') return 'skipped'
  const connection = await payload.findByID({ collection: 'connections', id: idOf(publication.connection)!, depth: 0, overrideAccess: true })
  const connector = connectorFor(connection.platform)
  if (!connector?.lookup || !publication.marker) return 'manual'
  const collection = publication.article ? 'articles' : 'posts'
  const content = await payload.findByID({ collection, id: idOf(publication.article ?? publication.post)!, depth: 1, overrideAccess: true })
  const item = publishItemFor(connection.platform, collection === 'articles' ? { article: content as Article } : { post: content as Post }, publication)
  try {
    const candidates = await connector.lookup(item, openCredentials(connection.platform, connection.credentials), publishContext(payload, connection.id))
    const [found] = await unclaimed(payload, publication, candidates)
    if (!found) return 'not_found'
    const account = await payload.findByID({ collection: 'accounts', id: idOf(publication.account)!, depth: 0, overrideAccess: true })
    // The claim and the customer's "found it" notice commit together, or neither does.
    const confirmed = await inTransaction(payload, async (req) => {
      if (!(await confirmFound(payload, publicationId, found, t(account.language, 'publish.found_by_lookup'), req))) return false
      return notifyFound(payload, publicationId, req)
    })
    if (!confirmed) return 'skipped'
    await markContentPublished(payload, collection, content)
    return 'found'
  } catch (error) {
    const detail = error instanceof PublishError ? `${error.code}: ${error.detail}` : error instanceof Error ? error.message : String(error)
    logger().warn({ publicationId, platform: connection.platform, err: detail }, 'lookup of an unconfirmed publication failed')
    return 'error'
  }
}
