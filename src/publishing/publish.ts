import type { Payload } from 'payload'

import { t } from '../i18n'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import { metrics } from '../lib/telemetry/metrics'
import { SpanKind, withSpan } from '../lib/telemetry/tracing'
import { inTransaction } from '../jobs/addJob'
import { notice } from '../notify'
import type { Article, Connection, Post, Publication } from '../payload-types'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { PUBLISHABLE_STATUSES } from '../workflow/transitions'
import { PublishError, type FailureKind, type PublishContext, type PublishResult } from './connector'
import { connectorFor } from './connectors'
import { openCredentials, type Credentials } from './credentials'
import { publishItemFor } from './item'
import type { Platform } from './platforms'
import { acquirePublishPermit } from './limits'
import { articleLinkFor, HOLD_RECHECK_MS, holdForArticle } from './articleLink'
import { stampMarker } from './marker'
import { claimedBy, claimPublication, settlePublication } from './publications'
import { notifyUnconfirmed, settleAbandonedPublications } from './unconfirmed'

/** Retries of a retryable failure, then the publication fails with its reason. */
export const MAX_PUBLISH_ATTEMPTS = 5
const BACKOFF_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000]

export type PublishOutcome =
  | { result: 'skipped' }
  | { result: 'published'; remoteId: string }
  | { result: 'retry'; runAt: Date }
  | { result: 'failed' | 'unconfirmed'; reason: string }
  /** Broke after the claim: settled unconfirmed with the customer told and a lookup queued. */
  | { result: 'interrupted'; reason: string }

export type PublishOptions = {
  /** Who claims the publication (the job's id), noted in its history. */
  claimer?: string
  /**
   * This run is a retry of a job attempt that failed (threw): a publication still `publishing`
   * under this job's own claim was claimed by that attempt, which no longer runs, so nobody else
   * will settle it. A claim of another job (two jobs for one publication) is left to that job.
   */
  afterFailedAttempt?: boolean
}

/**
 * The customer-facing reason for a failure: what happened in general, what this platform said
 * specifically when we have words for it, and the platform's own detail for staff.
 */
export function failureReason(language: string | null | undefined, failure: PublishError): string {
  // The address, not the content, is what is wrong: "the platform rejected the content" would mislead.
  if (failure.code.endsWith('.private_address')) return `${t(language, 'publish.private_address')} (${failure.detail})`
  const specific = t(language, failure.code)
  return specific === failure.code
    ? `${t(language, `publish.${failure.kind}`)} (${failure.detail})`
    : `${t(language, `publish.${failure.kind}`)} ${specific} (${failure.detail})`
}

/**
 * Lends a connector the one write it may need: renewed credentials, re-sealed into the
 * connection by the collection's own hook. A system write, made by the publish job.
 */
export function publishContext(payload: Payload, connectionId: number): PublishContext<Credentials<Platform>> {
  return {
    saveCredentials: async (next) => {
      await payload.update({ collection: 'connections', id: connectionId, overrideAccess: true, context: SYSTEM_CONTEXT, data: { credentials: next } })
    },
  }
}

/**
 * Publishes one publication exactly once from the customer's view: room asked of the rate and
 * concurrency caps (none means "later", untouched), claimed atomically, checked (approved
 * content, a usable connection), credentials opened only here, the remote id stored at the
 * boundary, and every failure ending in a state with a reason. A post made from an article goes
 * out with the article's live address, and waits queued (with the reason) until the article is out.
 */
export async function publishOne(payload: Payload, publicationId: number, now = Date.now(), options: PublishOptions = {}): Promise<PublishOutcome> {
  const counted = { platform: 'unknown' }
  const outcome = await publishCounted(payload, publicationId, now, counted, options)
  // Observability (O6): publish attempts by platform and result.
  metrics().publications.inc({ platform: counted.platform, status: outcome.result })
  return outcome
}

/**
 * A publication claimed by this job whose run broke before it was settled (PostgreSQL cut off
 * mid-run, a bug): the call may have gone out, so it becomes unconfirmed at once, the customer is
 * told and a lookup is queued, rather than staying `publishing` until the sweep finds it ten minutes later.
 */
async function settleInterrupted(payload: Payload, publicationId: number): Promise<PublishOutcome> {
  const settled = await settleAbandonedPublications(payload, [publicationId], 'publish.interrupted')
  return settled.length > 0 ? { result: 'interrupted', reason: t('en', 'publish.interrupted') } : { result: 'skipped' }
}

async function publishCounted(payload: Payload, publicationId: number, now: number, counted: { platform: string }, options: PublishOptions): Promise<PublishOutcome> {
  const publication = await payload.findByID({ collection: 'publications', id: publicationId, depth: 0, overrideAccess: true, disableErrors: true })
  if (publication?.status === 'publishing' && options.afterFailedAttempt && options.claimer && claimedBy(publication, options.claimer)) {
    return settleInterrupted(payload, publicationId)
  }
  if (!publication || publication.status !== 'queued') return { result: 'skipped' }
  const connection = await payload.findByID({ collection: 'connections', id: idOf(publication.connection)!, depth: 0, overrideAccess: true })
  counted.platform = connection.platform
  const article = await articleLinkFor(payload, publication, connection.platform)
  // Held only while a publication of the article is on its way. Out with no address known
  // (confirmed by the customer), or never going out (none planned, all failed or cancelled): it
  // goes without the link rather than waiting for ever.
  if (article && !article.live && article.coming) {
    const account = await payload.findByID({ collection: 'accounts', id: idOf(publication.account)!, depth: 0, overrideAccess: true })
    const reason = t(account.language, 'publish.held_for_article', { title: article.title, minutes: HOLD_RECHECK_MS / 60_000 })
    await holdForArticle(payload, publicationId, reason)
    return { result: 'retry', runAt: new Date(now + HOLD_RECHECK_MS) }
  }
  const gate = await acquirePublishPermit(connection.platform, connection.id)
  if (!gate.ok) return { result: 'retry', runAt: new Date(now + gate.retryAfterMs) }
  let claimed = false
  try {
    if (!(await claimPublication(payload, publicationId, options.claimer))) return { result: 'skipped' }
    claimed = true
    return await publishClaimed(payload, publication, connection, now, article?.url ?? null)
  } catch (error) {
    if (!claimed) throw error
    logger().error({ publicationId, err: error }, 'publish run broke after the claim; settling it as unconfirmed')
    // The database may still be away: then the job fails, and its retry settles it (above). A row
    // no longer `publishing` was settled by this run before it broke: the error is the job's.
    const settled = await settleInterrupted(payload, publicationId).catch(() => undefined)
    if (!settled || settled.result === 'skipped') throw error
    return settled
  } finally {
    await gate.permit.release()
  }
}

async function publishClaimed(
  payload: Payload,
  publication: Publication,
  connection: Connection,
  now: number,
  articleUrl: string | null,
): Promise<PublishOutcome> {
  const publicationId = publication.id
  const attempts = (publication.attempts ?? 0) + 1
  const account = await payload.findByID({ collection: 'accounts', id: idOf(publication.account)!, depth: 0, overrideAccess: true })
  const language = account.language
  const collection = publication.article ? 'articles' : 'posts'
  const content = await payload.findByID({ collection, id: idOf(publication.article ?? publication.post)!, depth: 1, overrideAccess: true })
  // The outcome and the customer's notice are one write: the notice exists once it is recorded.
  const fail = async (status: 'failed' | 'unconfirmed', reason: string, kind?: FailureKind): Promise<PublishOutcome> => {
    await inTransaction(payload, async (req) => {
      await settlePublication(payload, publicationId, { status, message: reason }, req)
      if (status === 'unconfirmed') {
        await notifyUnconfirmed(payload, publicationId, undefined, req)
        return
      }
      await notice(req, {
        accountId: account.id,
        event: 'publication.failed',
        data: {
          publicationId,
          title: content?.title ?? `#${publicationId}`,
          connection: connection.displayName,
          connectionId: connection.id,
          reason,
          kind,
          collection,
          contentId: content?.id,
        },
      })
    })
    return { result: status, reason }
  }

  if (connection.status !== 'active') return fail('failed', t(language, 'publish.connection_inactive', { name: connection.displayName }), 'reauth')
  // Published content counts: any edit of it went back to review, so it is still what was approved.
  if (!PUBLISHABLE_STATUSES.includes(content.workflowStatus)) {
    return fail('failed', t(language, 'publication.back_in_review', { status: t(language, `status.${content.workflowStatus}`) }), 'bad_request')
  }

  const connector = connectorFor(connection.platform)
  if (!connector) return fail('failed', t(language, 'publish.platform_unavailable', { platform: connection.platform }))
  const item = publishItemFor(connection.platform, collection === 'articles' ? { article: content as Article } : { post: content as Post, articleUrl }, publication, now)
  const problems = connector.validate(item)
  if (problems.length > 0) {
    return fail('failed', `${t(language, 'publish.invalid')} ${problems.map((code) => t(language, code)).join(' ')}`, 'bad_request')
  }

  // The marker is stored before the call, so a lookup can recognise what this call makes.
  const stamp = await stampMarker(payload, publicationId)
  if (!stamp) return { result: 'skipped' }
  let result: PublishResult
  try {
    // Opened only here, for this call; a stored blob that no longer fits is a `reauth` failure.
    // Observability (O6): the platform call is a span of the job's trace, named by platform.
    result = await withSpan(
      `publish ${connection.platform}`,
      { 'postforge.platform': connection.platform, 'postforge.publication_id': publicationId, 'postforge.connection_id': connection.id },
      () => connector.publish({ ...item, ...stamp }, openCredentials(connection.platform, connection.credentials), publishContext(payload, connection.id)),
      { kind: SpanKind.CLIENT },
    )
  } catch (error) {
    const failure = error instanceof PublishError ? error : new PublishError('unconfirmed', 'publish.unknown', String(error))
    const reason = failureReason(language, failure)
    if (failure.kind === 'retry' && attempts < MAX_PUBLISH_ATTEMPTS) {
      const wait = Math.max(failure.retryAfterMs ?? 0, BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)])
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
    return fail(failure.kind === 'unconfirmed' ? 'unconfirmed' : 'failed', reason, failure.kind)
  }
  // The remote id is recorded before anything else, in one write with the customer's notice; if
  // it fails the row becomes 'unconfirmed' (publishCounted's catch, or this job's retry), never sent twice.
  await inTransaction(payload, async (req) => {
    await settlePublication(
      payload,
      publicationId,
      { status: 'published', remoteId: result.remoteId, remoteUrl: result.remoteUrl, message: result.warnings?.length ? result.warnings.join('; ') : undefined },
      req,
    )
    await notice(req, {
      accountId: account.id,
      event: 'publication.published',
      data: {
        publicationId,
        title: content.title,
        connection: connection.displayName,
        ...(result.remoteUrl ? { link: result.remoteUrl } : {}),
        collection,
        contentId: content.id,
      },
    })
  })
  await markContentPublished(payload, collection, content)
  return { result: 'published', remoteId: result.remoteId }
}

/** The article or post follows its first publication to `published` (a system move). */
export async function markContentPublished(payload: Payload, collection: 'articles' | 'posts', content: { id: number; workflowStatus: string }) {
  if (content.workflowStatus === 'published') return
  await payload
    .update({ collection, id: content.id, data: { workflowStatus: 'published' }, context: SYSTEM_CONTEXT, overrideAccess: true })
    .catch((error: Error) => logger().warn({ content: content.id, err: error.message }, 'published, but the content status did not follow'))
}
