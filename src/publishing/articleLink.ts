import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { idOf } from '../lib/ids'
import type { Connection, Publication } from '../payload-types'
import { PUBLISHABLE_STATUSES } from '../workflow/transitions'
import type { Platform } from './platforms'

/**
 * Platforms where a post links back to its article: Telegram (the address under the text), VK (a
 * link attachment) and Pinterest (the pin's destination). Instagram captions cannot hold a live
 * link, and WordPress takes articles, so neither waits for one.
 */
export const LINKING_PLATFORMS: readonly Platform[] = ['telegram', 'vk', 'pinterest']

/** How often a post held for its article looks again. */
export const HOLD_RECHECK_MS = 10 * 60_000

/**
 * Whether an article is out, and its live address: that of a publication of it that went out, one
 * on WordPress first (the article on the site itself), else the newest on any platform. An
 * article can be out with no address known (its customer confirmed an unconfirmed publication).
 * `coming`: a publication of it is still on its way (queued, publishing, unconfirmed), so a post
 * linking to it has something to wait for.
 */
export async function liveArticle(payload: Payload, articleId: number): Promise<{ live: boolean; coming: boolean; url: string | null }> {
  const { docs } = await payload.find({
    collection: 'publications',
    where: { article: { equals: articleId }, status: { in: ['published', ...ON_ITS_WAY] } },
    sort: '-updatedAt',
    depth: 1,
    limit: 20,
    overrideAccess: true,
  })
  const out = docs.filter((p) => p.status === 'published')
  const live = out.filter((p) => p.remoteUrl)
  const onSite = live.find((p) => (p.connection as Connection | null)?.platform === 'wordpress')
  return { live: out.length > 0, coming: docs.some((p) => ON_ITS_WAY.includes(p.status)), url: (onSite ?? live[0])?.remoteUrl ?? null }
}

const ON_ITS_WAY: Publication['status'][] = ['queued', 'publishing', 'unconfirmed']

/**
 * What a publication of a post made from an article links to: the article's title, whether it is
 * out, and its address. Null when nothing is to be linked: an article's publication,
 * a post of its own, a platform without links, or a post no longer publishable (which the
 * publish step refuses with its own reason).
 */
export async function articleLinkFor(
  payload: Payload,
  publication: Pick<Publication, 'post'>,
  platform: Platform,
): Promise<{ title: string; live: boolean; coming: boolean; url: string | null } | null> {
  const postId = idOf(publication.post)
  if (postId === null || !LINKING_PLATFORMS.includes(platform)) return null
  const post = await payload.findByID({ collection: 'posts', id: postId, depth: 0, overrideAccess: true, disableErrors: true })
  const articleId = idOf(post?.article)
  if (!post || articleId === null || !PUBLISHABLE_STATUSES.includes(post.workflowStatus)) return null
  const article = await payload.findByID({ collection: 'articles', id: articleId, depth: 0, overrideAccess: true, disableErrors: true })
  if (!article) return null
  return { title: article.title, ...(await liveArticle(payload, article.id)) }
}

/**
 * Keeps a post waiting for its article: it stays queued with the reason the customer reads. Only
 * a row still queued is touched, so a publication another worker has taken meanwhile is left alone.
 */
export async function holdForArticle(payload: Payload, publicationId: number, reason: string): Promise<void> {
  await payload.db.drizzle.execute(sql`
    update publications set last_error = ${reason}, updated_at = now()
     where id = ${publicationId} and status = 'queued' and last_error is distinct from ${reason}`)
}
