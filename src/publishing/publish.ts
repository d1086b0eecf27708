import path from 'node:path'

import type { Payload } from 'payload'

import { t } from '../i18n'
import { unseal, type SealedSecret } from '../lib/crypto'
import { env } from '../lib/env'
import { idOf } from '../lib/ids'
import { lexicalToPlainText } from '../lib/text'
import type { Article, Media, Post } from '../payload-types'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { logger } from '../lib/logger'
import { notifyAccount } from '../notify/telegram'
import { PublishError, type PublishItem, type PublishResult } from './connector'
import { CONNECTORS } from './connectors'
import { claimPublication, settlePublication } from './publications'

/** Retries of a retryable failure, then the publication fails with its reason. */
export const MAX_PUBLISH_ATTEMPTS = 5
const BACKOFF_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000]

export type PublishOutcome =
  | { result: 'skipped' }
  | { result: 'published'; remoteId: string }
  | { result: 'retry'; runAt: Date }
  | { result: 'failed' | 'unconfirmed'; reason: string }

function mediaItems(media: (number | Media)[] | null | undefined): PublishItem['images'] {
  return (media ?? [])
    .filter((m): m is Media => typeof m === 'object' && m !== null && typeof m.filename === 'string')
    .map((m) => ({ path: path.resolve(process.cwd(), env().MEDIA_DIR, m.filename!), alt: m.alt, mimeType: m.mimeType ?? 'image/jpeg' }))
}

function itemFor(platform: string, content: { article?: Article; post?: Post }, marker: string): PublishItem {
  if (content.article) {
    const a = content.article
    return { kind: 'article', title: a.title, text: a.excerpt || lexicalToPlainText(a.body), images: mediaItems(a.images), marker }
  }
  const p = content.post!
  const variant = p.variants?.find((v) => v.platform === platform)
  return { kind: 'post', title: p.title, text: variant?.text ?? '', images: mediaItems(p.media), marker }
}

/**
 * Publishes one publication exactly once from the customer's view: claimed atomically, checked
 * (approved content, a usable connection), credentials opened only here, the remote id stored
 * at the boundary, and every failure ending in a state with a reason.
 */
export async function publishOne(payload: Payload, publicationId: number, now = Date.now()): Promise<PublishOutcome> {
  if (!(await claimPublication(payload, publicationId))) return { result: 'skipped' }
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 0, overrideAccess: true })
  const account = await payload.findByID({ collection: 'accounts', id: idOf(publication.account)!, depth: 0, overrideAccess: true })
  const language = account.language
  const fail = async (status: 'failed' | 'unconfirmed', reason: string): Promise<PublishOutcome> => {
    await settlePublication(payload, publicationId, { status, message: reason })
    await notifyAccount(payload, account.id, `notify.publication_${status}`, {
      title: content?.title ?? `#${publicationId}`,
      connection: connection.displayName,
      reason,
    })
    return { result: status, reason }
  }

  const connection = await payload.findByID({ collection: 'connections', id: idOf(publication.connection)!, depth: 0, overrideAccess: true })
  const collection = publication.article ? 'articles' : 'posts'
  const content = await payload.findByID({ collection, id: idOf(publication.article ?? publication.post)!, depth: 1, overrideAccess: true })
  if (connection.status !== 'active') return fail('failed', t(language, 'publish.connection_inactive', { name: connection.displayName }))
  if (!['approved', 'scheduled', 'published'].includes(content.workflowStatus)) return fail('failed', t(language, 'publication.not_approved'))

  const connector = CONNECTORS[connection.platform]
  if (!connector) return fail('failed', t(language, 'publish.platform_unavailable', { platform: connection.platform }))
  const item = itemFor(connection.platform, collection === 'articles' ? { article: content as Article } : { post: content as Post }, String(publicationId))
  const problems = connector.validate(item)
  if (problems.length > 0) return fail('failed', problems.map((code) => t(language, code)).join(' '))

  let result: PublishResult
  try {
    result = await connector.publish(item, unseal(connection.credentials as SealedSecret) as never)
  } catch (error) {
    const failure = error instanceof PublishError ? error : new PublishError('unconfirmed', 'publish.unknown', String(error))
    const reason = `${t(language, `publish.${failure.kind}`)} (${failure.detail})`
    if (failure.kind === 'retry' && (publication.attempts ?? 1) < MAX_PUBLISH_ATTEMPTS) {
      const wait = Math.max(failure.retryAfterMs ?? 0, BACKOFF_MS[Math.min((publication.attempts ?? 1) - 1, BACKOFF_MS.length - 1)])
      await settlePublication(payload, publicationId, { status: 'queued', message: reason })
      return { result: 'retry', runAt: new Date(now + wait) }
    }
    if (failure.kind === 'reauth' || failure.kind === 'disconnected') {
      await payload.update({
        collection: 'connections',
        id: connection.id,
        overrideAccess: true,
        data: { status: 'needs_reconnect', lastError: reason, lastErrorAt: new Date(now).toISOString() },
      })
    }
    return fail(failure.kind === 'unconfirmed' ? 'unconfirmed' : 'failed', reason)
  }
  // The remote id is recorded before anything else; if this write fails the row stays
  // 'publishing' and the sweeper makes it 'unconfirmed', so it is never sent twice.
  await settlePublication(payload, publicationId, {
    status: 'published',
    remoteId: result.remoteId,
    remoteUrl: result.remoteUrl,
    message: result.warnings?.length ? result.warnings.join('; ') : undefined,
  })
  if (content.workflowStatus !== 'published') {
    await payload
      .update({ collection, id: content.id, data: { workflowStatus: 'published' }, context: SYSTEM_CONTEXT, overrideAccess: true })
      .catch((error: Error) => logger().warn({ publicationId, err: error.message }, 'published, but the content status did not follow'))
  }
  return { result: 'published', remoteId: result.remoteId }
}
