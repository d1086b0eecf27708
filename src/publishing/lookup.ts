import type { Payload } from 'payload'

import { t } from '../i18n'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import type { Article, Post } from '../payload-types'
import { PublishError } from './connector'
import { CONNECTORS } from './connectors'
import { publishItemFor } from './item'
import { markContentPublished, openCredentials, publishContext } from './publish'
import { confirmFound } from './publications'

export type LookupOutcome = 'found' | 'not_found' | 'manual' | 'error' | 'skipped'

/**
 * Settles an unconfirmed publication by asking the platform, read-only, whether the post
 * exists (our marker, or its exact text). Found: published with the remote id. Not found:
 * it stays unconfirmed, so a person decides; nothing is ever re-sent from here. Platforms that
 * cannot be searched (Telegram) are left for a person at once.
 */
export async function resolveUnconfirmed(payload: Payload, publicationId: number): Promise<LookupOutcome> {
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 0, overrideAccess: true, disableErrors: true })
  if (!publication || publication.status !== 'unconfirmed') return 'skipped'
  const connection = await payload.findByID({ collection: 'connections', id: idOf(publication.connection)!, depth: 0, overrideAccess: true })
  const connector = CONNECTORS[connection.platform]
  if (!connector?.lookup) return 'manual'
  const collection = publication.article ? 'articles' : 'posts'
  const content = await payload.findByID({ collection, id: idOf(publication.article ?? publication.post)!, depth: 1, overrideAccess: true })
  const item = publishItemFor(connection.platform, collection === 'articles' ? { article: content as Article } : { post: content as Post }, publication)
  try {
    const found = await connector.lookup(item, openCredentials(connection), publishContext(payload, connection.id))
    if (!found) return 'not_found'
    const account = await payload.findByID({ collection: 'accounts', id: idOf(publication.account)!, depth: 0, overrideAccess: true })
    if (!(await confirmFound(payload, publicationId, found, t(account.language, 'publish.found_by_lookup')))) return 'skipped'
    await markContentPublished(payload, collection, content)
    return 'found'
  } catch (error) {
    const detail = error instanceof PublishError ? `${error.code}: ${error.detail}` : error instanceof Error ? error.message : String(error)
    logger().warn({ publicationId, platform: connection.platform, err: detail }, 'lookup of an unconfirmed publication failed')
    return 'error'
  }
}
