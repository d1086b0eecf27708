import { setTimeout as sleep } from 'node:timers/promises'

import { z } from 'zod'

import { env } from '../../lib/env'
import type { Connector, PublishItem, PublishResult } from '../connector'
import { lookupSince, PublishError } from '../connector'
import type { Credentials } from '../credentials'
import { httpCall, statusFailure, trimSlash, type HttpAnswer } from '../http'
import { PLATFORM_TEXT_LIMITS } from '../platforms'

type InstagramCredentials = Credentials<'instagram'>

/** The Graph API publishes JPEG images only; carousels take 2-10 items; at most 30 hashtags. */
const IMAGE_TYPES = ['image/jpeg']
const CAROUSEL_MAX = 10
const HASHTAG_MAX = 30
/** A day's publishing quota is spent: try again after a while, not in a minute. */
const QUOTA_PAUSE_MS = 60 * 60_000

const GraphError = z.object({
  error: z.object({ message: z.string(), code: z.number().optional(), error_subcode: z.number().optional(), is_transient: z.boolean().optional() }),
})
const Created = z.object({ id: z.string() })
const MediaPage = z.object({
  data: z.array(z.object({ id: z.string(), caption: z.string().nullish(), permalink: z.string().nullish(), timestamp: z.string().nullish() })),
  paging: z.object({ cursors: z.object({ after: z.string().optional() }).optional(), next: z.string().optional() }).optional(),
})
/** Media pages a lookup reads at most, newest first. */
const LOOKUP_PAGES = 4
const LOOKUP_PAGE_SIZE = 50

const base = () => trimSlash(env().INSTAGRAM_GRAPH_BASE)

/**
 * Graph errors: 190 is a dead token; 4/17/32/613 are rate limits; 9 with subcode 2207042 is
 * the 24-hour publishing quota; 10 and 200-299 are missing permissions; 1/2 and `is_transient`
 * are temporary; the 2207xxx subcodes and 100 are about the media or the request.
 */
function graphFailure(answer: HttpAnswer, what: string, mutation = false): PublishError {
  const parsed = GraphError.safeParse(answer.json)
  const error = parsed.success ? parsed.data.error : undefined
  const detail = `${what}: HTTP ${answer.status}${error ? ` ${error.code ?? ''}/${error.error_subcode ?? ''} ${error.message}` : ''}`
  const code = error?.code ?? 0
  if (code === 190 || answer.status === 401) return new PublishError('reauth', 'instagram.token_invalid', detail)
  if ([4, 17, 32, 613].includes(code)) return new PublishError('retry', 'instagram.rate_limited', detail, 60_000)
  if (code === 9 || error?.error_subcode === 2207042) return new PublishError('retry', 'instagram.quota', detail, QUOTA_PAUSE_MS)
  if (code === 10 || (code >= 200 && code < 300)) return new PublishError('disconnected', 'instagram.no_permission', detail)
  if (code === 1 || code === 2 || error?.is_transient) return new PublishError('retry', 'instagram.unavailable', detail)
  const shared = statusFailure('instagram', answer, detail, mutation)
  if (shared) return shared
  return new PublishError('bad_request', 'instagram.rejected', detail)
}

function captionOf(item: PublishItem): string {
  return (item.kind === 'article' ? `${item.title}\n\n${item.excerpt ?? item.text}` : item.text).trim()
}

async function graph(path: string, token: string, form?: Record<string, string>, mutation = false): Promise<unknown> {
  const answer = await httpCall('instagram', `${base()}${path}`, {
    method: form ? 'POST' : 'GET',
    mutation,
    headers: { Authorization: `Bearer ${token}` },
    ...(form ? { body: new URLSearchParams(form) } : {}),
  })
  if (answer.status !== 200 || GraphError.safeParse(answer.json).success) throw graphFailure(answer, path.split('?')[0], mutation)
  return answer.json
}

async function container(igUserId: string, token: string, fields: Record<string, string>): Promise<string> {
  const created = Created.safeParse(await graph(`/${igUserId}/media`, token, fields))
  if (!created.success) throw new PublishError('retry', 'instagram.unreadable', 'media: no container id')
  return created.data.id
}

/**
 * Waits for a container to be ready, boundedly. Meta fetches and processes the image
 * asynchronously; an unfinished container is not a post, so running out of patience is a retry.
 */
async function waitFinished(id: string, token: string): Promise<void> {
  const { INSTAGRAM_POLL_INTERVAL_MS: interval, INSTAGRAM_POLL_MAX_MS: max } = env()
  const deadline = Date.now() + max
  for (;;) {
    const status = z.object({ status_code: z.string().optional(), status: z.string().optional() }).safeParse(await graph(`/${id}?fields=status_code,status`, token))
    const code = status.success ? status.data.status_code : undefined
    if (code === 'FINISHED' || code === 'PUBLISHED') return
    if (code === 'ERROR' || code === 'EXPIRED') {
      throw new PublishError('bad_request', 'instagram.media_failed', `container ${id}: ${code} ${status.success ? (status.data.status ?? '') : ''}`.trim())
    }
    if (Date.now() + interval > deadline) throw new PublishError('retry', 'instagram.processing', `container ${id} still ${code ?? 'unknown'} after ${max} ms`)
    await sleep(interval)
  }
}

/** Long-lived tokens last about 60 days: renewing a week early leaves room for failed attempts. */
export const INSTAGRAM_REFRESH_AHEAD_MS = 7 * 24 * 3600_000

export function instagramTokenDue(credentials: InstagramCredentials, now = Date.now()): boolean {
  return !!credentials.expiresAt && Date.parse(credentials.expiresAt) - now < INSTAGRAM_REFRESH_AHEAD_MS
}

/**
 * A new long-lived user token for the one we hold, through Facebook Login's documented exchange
 * (GET /oauth/access_token?grant_type=fb_exchange_token with the app's id and secret), the same
 * call that made it at sign-in. Only a valid token can be exchanged: an expired one answers
 * OAuthException 190 (subcode 463), and the customer has to sign in again.
 */
export async function refreshInstagramToken(credentials: InstagramCredentials): Promise<InstagramCredentials> {
  const { INSTAGRAM_APP_ID: id, INSTAGRAM_APP_SECRET: secret } = env()
  if (!id || !secret) throw new PublishError('retry', 'instagram.not_configured', 'INSTAGRAM_APP_ID/SECRET are not set')
  const query = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: id, client_secret: secret, fb_exchange_token: credentials.accessToken })
  const answer = await httpCall('instagram', `${base()}/oauth/access_token?${query}`)
  const token = z.object({ access_token: z.string().min(10), expires_in: z.number().optional() }).safeParse(answer.json)
  if (answer.status !== 200 || !token.success) throw graphFailure(answer, '/oauth/access_token')
  return {
    ...credentials,
    accessToken: token.data.access_token,
    ...(token.data.expires_in ? { expiresAt: new Date(Date.now() + token.data.expires_in * 1000).toISOString() } : {}),
  }
}

/**
 * An Instagram feed post through the Graph API: a container per image (a carousel of them for
 * 2-10 images), polled until Meta has processed the media, then published. Meta fetches images
 * by URL, so each gets a signed, expiring link to our /api/public-media route (or lives under
 * PUBLIC_MEDIA_BASE_URL). Containers left behind by a retry expire unused; only media_publish posts.
 */
export const instagramConnector: Connector<'instagram'> = {
  platform: 'instagram',
  validate(item) {
    const problems: string[] = []
    if (item.images.length === 0) problems.push('instagram.no_image')
    if (item.images.length > CAROUSEL_MAX) problems.push('instagram.too_many_images')
    if (item.images.some((image) => !IMAGE_TYPES.includes(image.mimeType))) problems.push('instagram.image_type')
    if (item.images.some((image) => !image.url || !/^https?:\/\//.test(image.url))) problems.push('instagram.no_public_url')
    const caption = captionOf(item)
    if (caption.length > PLATFORM_TEXT_LIMITS.instagram!) problems.push('instagram.text_too_long')
    if ((caption.match(/#[\p{L}\p{N}_]+/gu) ?? []).length > HASHTAG_MAX) problems.push('instagram.too_many_hashtags')
    return problems
  },
  async publish(item, { accessToken, igUserId }) {
    const caption = captionOf(item)
    let creationId: string
    if (item.images.length === 1) {
      creationId = await container(igUserId, accessToken, { image_url: item.images[0].url!, caption })
    } else {
      const children: string[] = []
      for (const image of item.images) children.push(await container(igUserId, accessToken, { image_url: image.url!, is_carousel_item: 'true' }))
      for (const child of children) await waitFinished(child, accessToken)
      creationId = await container(igUserId, accessToken, { media_type: 'CAROUSEL', children: children.join(','), caption })
    }
    await waitFinished(creationId, accessToken)
    const published = Created.safeParse(await graph(`/${igUserId}/media_publish`, accessToken, { creation_id: creationId }, true))
    if (!published.success) throw new PublishError('unconfirmed', 'instagram.unreadable', 'media_publish: no media id')
    const permalink = await graph(`/${published.data.id}?fields=permalink`, accessToken).catch(() => null)
    const url = z.object({ permalink: z.string() }).safeParse(permalink)
    return { remoteId: published.data.id, remoteUrl: url.success ? url.data.permalink : null }
  },
  async lookup(item, { accessToken, igUserId }) {
    const caption = captionOf(item)
    // A caption-less post cannot be told apart from others: a person checks it.
    if (!caption) return []
    const since = lookupSince(item)
    const found: PublishResult[] = []
    let path: string | null = `/${igUserId}/media?fields=id,caption,permalink,timestamp&limit=${LOOKUP_PAGE_SIZE}`
    // Newest first, following the `after` cursor until the media are older than the first call.
    for (let page = 0; path && page < LOOKUP_PAGES; page++) {
      const media = MediaPage.safeParse(await graph(path, accessToken))
      if (!media.success) throw new PublishError('retry', 'instagram.unreadable', 'media: unexpected answer')
      for (const m of media.data.data) {
        const at = m.timestamp ? Date.parse(m.timestamp) : Number.NaN
        if ((m.caption ?? '').trim() === caption && !(at < since)) found.push({ remoteId: m.id, remoteUrl: m.permalink ?? null })
      }
      const after = media.data.paging?.cursors?.after
      const older = media.data.data.some((m) => m.timestamp && Date.parse(m.timestamp) < since)
      path = !older && after && media.data.paging?.next ? `/${igUserId}/media?fields=id,caption,permalink,timestamp&limit=${LOOKUP_PAGE_SIZE}&after=${encodeURIComponent(after)}` : null
    }
    return found
  },
}
