import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

import { z } from 'zod'

import { env } from '../../lib/env'
import { logger } from '../../lib/logger'
import { redis } from '../../lib/redis'
import type { Connector, PublishContext, PublishItem, PublishResult } from '../connector'
import { lookupSince, markerToken, PublishError } from '../connector'
import type { Credentials } from '../credentials'
import { basicAuth, httpCall, statusFailure, trimSlash, type HttpAnswer } from '../http'
import { PLATFORM_TEXT_LIMITS } from '../platforms'

type PinterestCredentials = Credentials<'pinterest'>

const IMAGE_TYPES = ['image/jpeg', 'image/png']
const TITLE_LIMIT = 100
const ALT_LIMIT = 500
/** Access tokens live 30 days; renewing a day early keeps a publish from meeting an expired one. */
export const PINTEREST_REFRESH_AHEAD_MS = 24 * 3600_000

const PinterestError = z.object({ code: z.number().optional(), message: z.string().optional() })
const Token = z.object({
  access_token: z.string().min(10),
  expires_in: z.number().optional(),
  refresh_token: z.string().optional(),
})
const Pin = z.object({ id: z.string() })
const BoardPins = z.object({
  items: z.array(z.object({ id: z.string(), note: z.string().nullish(), title: z.string().nullish(), created_at: z.string().nullish() })),
  bookmark: z.string().nullish(),
})
const BoardsPage = z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })), bookmark: z.string().nullish() })
export type PinterestBoard = { id: string; name: string }
/** Pages of boards read at most (250 each, the API's largest page). */
const BOARD_PAGES = 8
/** Board pin pages a lookup reads at most (250 pins each, the API's largest page). */
const LOOKUP_PAGES = 4
const LOOKUP_PAGE_SIZE = 250

const base = () => trimSlash(env().PINTEREST_API_BASE)
const pinUrl = (id: string) => `https://www.pinterest.com/pin/${id}/`

function pinterestFailure(answer: HttpAnswer, what: string, mutation = false): PublishError {
  const error = PinterestError.safeParse(answer.json)
  const detail = `${what}: HTTP ${answer.status}${error.success && error.data.message ? ` ${error.data.message}` : ''}`
  const shared = statusFailure('pinterest', answer, detail, mutation)
  if (shared) return shared
  if (answer.status === 403) return new PublishError('disconnected', 'pinterest.forbidden', detail)
  if (answer.status === 404) return new PublishError('disconnected', 'pinterest.board_not_found', detail)
  return new PublishError('bad_request', 'pinterest.rejected', detail)
}

function dueForRefresh(credentials: PinterestCredentials, now = Date.now()): boolean {
  return !!credentials.expiresAt && new Date(credentials.expiresAt).getTime() - now < PINTEREST_REFRESH_AHEAD_MS
}

/**
 * Trades the refresh token for a new access token and stores it before use. Pinterest may or
 * may not rotate the refresh token: an answer without one keeps the stored one (an empty
 * value written over a good token is how reconnect loops start). One refresh per token at a
 * time across workers: the others come back a little later and read the stored result.
 */
async function refresh(credentials: PinterestCredentials, context: PublishContext<PinterestCredentials> | undefined): Promise<PinterestCredentials> {
  const { PINTEREST_CLIENT_ID: id, PINTEREST_CLIENT_SECRET: secret } = env()
  if (!credentials.refreshToken) throw new PublishError('reauth', 'pinterest.expired', 'access token expired and no refresh token is stored')
  if (!id || !secret) throw new PublishError('retry', 'pinterest.not_configured', 'PINTEREST_CLIENT_ID/SECRET are not set')
  const lockKey = `pf:pinterest:refresh:${createHash('sha256').update(credentials.refreshToken).digest('hex').slice(0, 24)}`
  const locked = await redis()
    .set(lockKey, '1', 'PX', 30_000, 'NX')
    .catch(() => 'OK')
  if (locked !== 'OK') throw new PublishError('retry', 'pinterest.refreshing', 'another worker is refreshing this token', 5_000)
  try {
    const answer = await httpCall('pinterest', `${base()}/v5/oauth/token`, {
      method: 'POST',
      headers: { Authorization: basicAuth(id, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.refreshToken }),
    })
    const token = Token.safeParse(answer.json)
    if (answer.status !== 200 || !token.success) {
      if (answer.status === 400 || answer.status === 401) throw new PublishError('reauth', 'pinterest.refresh_rejected', `token refresh: HTTP ${answer.status}`)
      throw pinterestFailure(answer, 'token refresh')
    }
    const next: PinterestCredentials = {
      ...credentials,
      accessToken: token.data.access_token,
      refreshToken: token.data.refresh_token?.trim() || credentials.refreshToken,
      ...(token.data.expires_in ? { expiresAt: new Date(Date.now() + token.data.expires_in * 1000).toISOString() } : {}),
    }
    await context?.saveCredentials?.(next)
    logger().info({ platform: 'pinterest', rotated: !!token.data.refresh_token }, 'access token refreshed')
    return next
  } finally {
    await redis()
      .del(lockKey)
      .catch(() => undefined)
  }
}

function descriptionOf(item: PublishItem): string {
  return (item.kind === 'article' ? (item.excerpt ?? item.text) : item.text).trim()
}

async function createPin(item: PublishItem, credentials: PinterestCredentials): Promise<HttpAnswer> {
  const image = item.images[0]
  const data = await readFile(image.path)
  return httpCall('pinterest', `${base()}/v5/pins`, {
    method: 'POST',
    mutation: true,
    headers: { Authorization: `Bearer ${credentials.accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      board_id: credentials.boardId,
      title: item.title.slice(0, TITLE_LIMIT),
      description: descriptionOf(item),
      ...(item.link ? { link: item.link } : {}),
      ...(image.alt ? { alt_text: image.alt.slice(0, ALT_LIMIT) } : {}),
      // Pinterest keeps the note private to the pinner: it carries our marker for lookups.
      note: markerToken(item.marker),
      media_source: { source_type: 'image_base64', content_type: image.mimeType, data: data.toString('base64') },
    }),
  })
}

async function boardsPage(token: string, bookmark: string | null): Promise<HttpAnswer> {
  const query = new URLSearchParams({ page_size: '250', ...(bookmark ? { bookmark } : {}) })
  return httpCall('pinterest', `${base()}/v5/boards?${query}`, { headers: { Authorization: `Bearer ${token}` } })
}

/**
 * The boards the connected user can pin to (GET /v5/boards, following the `bookmark` cursor), for
 * the customer to choose one. The token is renewed first when due, and once more on a 401.
 */
export async function pinterestBoards(stored: PinterestCredentials, context?: PublishContext<PinterestCredentials>): Promise<PinterestBoard[]> {
  let credentials = dueForRefresh(stored) ? await refresh(stored, context) : stored
  const boards: PinterestBoard[] = []
  let bookmark: string | null = null
  for (let page = 0; page < BOARD_PAGES; page++) {
    let answer = await boardsPage(credentials.accessToken, bookmark)
    if (answer.status === 401 && credentials.refreshToken && credentials === stored) {
      credentials = await refresh(stored, context)
      answer = await boardsPage(credentials.accessToken, bookmark)
    }
    if (answer.status !== 200) throw pinterestFailure(answer, 'boards')
    const parsed = BoardsPage.safeParse(answer.json)
    if (!parsed.success) throw new PublishError('retry', 'pinterest.unreadable', 'boards: unexpected answer')
    boards.push(...parsed.data.items.map(({ id, name }) => ({ id, name })))
    bookmark = parsed.data.bookmark ?? null
    if (!bookmark) break
  }
  return boards
}

/**
 * A pin on the connection's board through API v5, the image sent inline (no public URL needed).
 * The access token is renewed a day before it expires, and once more if Pinterest refuses it.
 */
export const pinterestConnector: Connector<'pinterest'> = {
  platform: 'pinterest',
  validate(item) {
    const problems: string[] = []
    if (item.images.length === 0) problems.push('pinterest.no_image')
    else if (!IMAGE_TYPES.includes(item.images[0].mimeType)) problems.push('pinterest.image_type')
    if (!item.title.trim()) problems.push('pinterest.no_title')
    if (descriptionOf(item).length > PLATFORM_TEXT_LIMITS.pinterest!) problems.push('pinterest.text_too_long')
    if (item.link && !/^https?:\/\/\S+$/.test(item.link)) problems.push('pinterest.bad_link')
    return problems
  },
  async publish(item, stored, context) {
    if (!stored.boardId) throw new PublishError('disconnected', 'pinterest.no_board', 'no board chosen for this connection')
    let credentials = dueForRefresh(stored) ? await refresh(stored, context) : stored
    let answer = await createPin(item, credentials)
    // A 401 means the pin was not made: renewing the token and sending once more is safe.
    if (answer.status === 401 && credentials.refreshToken && credentials === stored) {
      credentials = await refresh(stored, context)
      answer = await createPin(item, credentials)
    }
    const pin = Pin.safeParse(answer.json)
    if (answer.status === 201 && pin.success) return { remoteId: pin.data.id, remoteUrl: pinUrl(pin.data.id) }
    if (answer.status < 300) throw new PublishError('unconfirmed', 'pinterest.unreadable', `pins: HTTP ${answer.status}`)
    throw pinterestFailure(answer, 'pins', true)
  },
  async lookup(item, stored, context) {
    if (!stored.boardId) return []
    const credentials = dueForRefresh(stored) ? await refresh(stored, context) : stored
    const token = markerToken(item.marker)
    const title = item.title.slice(0, TITLE_LIMIT)
    const since = lookupSince(item)
    const found: PublishResult[] = []
    let bookmark: string | null = null
    // Newest first, following the bookmark until the pins are older than the first call.
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const query = new URLSearchParams({ page_size: String(LOOKUP_PAGE_SIZE), ...(bookmark ? { bookmark } : {}) })
      const answer = await httpCall('pinterest', `${base()}/v5/boards/${encodeURIComponent(stored.boardId)}/pins?${query}`, {
        headers: { Authorization: `Bearer ${credentials.accessToken}` },
      })
      if (answer.status !== 200) throw pinterestFailure(answer, 'board pins')
      const pins = BoardPins.safeParse(answer.json)
      if (!pins.success) throw new PublishError('retry', 'pinterest.unreadable', 'board pins: unexpected answer')
      for (const pin of pins.data.items) {
        const at = pin.created_at ? Date.parse(pin.created_at) : Number.NaN
        // The private note holds our marker exactly; the title must be ours too.
        if (pin.note === token && (pin.title ?? '') === title && !(at < since)) found.push({ remoteId: pin.id, remoteUrl: pinUrl(pin.id) })
      }
      bookmark = pins.data.bookmark ?? null
      if (!bookmark || pins.data.items.some((pin) => pin.created_at && Date.parse(pin.created_at) < since)) break
    }
    return found
  },
}
