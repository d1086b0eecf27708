import { json, startFakeServer } from './http'

/**
 * Pinterest API v5: Bearer access tokens (401 `{ code: 2, message }` when unknown or expired),
 * POST /v5/oauth/token with Basic client auth for authorization_code grants (a code from
 * `issueCode()`, a new access and refresh token each time) and refresh_token grants (rotating the
 * refresh token only when `rotateRefreshToken`), POST /v5/pins with base64 or URL media, GET
 * /v5/boards (the user's boards, `page_size` up to 250, `bookmark` cursor), GET board pins (newest
 * first, same paging), the user account and a board. Knob keys: `POST /v5/pins`, `POST /v5/oauth/token`, ...
 */
export type Pin = { id: string; board_id: string; title: string; description: string; link?: string; note?: string; alt_text?: string; created_at: string; imageBytes: number }

export async function startFakePinterest(options: { clientId?: string; clientSecret?: string; boardId?: string } = {}) {
  const clientId = options.clientId ?? 'pf-client'
  const clientSecret = options.clientSecret ?? 'pf-client-secret'
  const boardId = options.boardId ?? '549755885175'
  const state = {
    accessTokens: new Set<string>(['pina_valid_access_token_000']),
    refreshTokens: new Set<string>(['pinr_valid_refresh_token_000']),
    rotateRefreshToken: false,
    pins: [] as Pin[],
    refreshes: 0,
    username: 'zerno_coffee',
    /** The user's boards; pins go to any of them. */
    boards: [{ id: boardId, name: 'Кофе' }] as { id: string; name: string }[],
    codes: new Set<string>(),
    grants: 0,
  }
  const pageOf = <T>(all: T[], query: URLSearchParams): { items: T[]; bookmark: string | null } | null => {
    // `bookmark` is an opaque cursor (here: the offset of the next page).
    const size = Number(query.get('page_size') ?? 25)
    if (!Number.isInteger(size) || size < 1 || size > 250) return null
    const from = Number(Buffer.from(query.get('bookmark') ?? '', 'base64url').toString() || 0)
    return { items: all.slice(from, from + size), bookmark: from + size < all.length ? Buffer.from(String(from + size)).toString('base64url') : null }
  }
  let nextId = 1_000_000
  const unauthorized = () => json(401, { code: 2, message: 'Authentication failed.' })

  const fake = await startFakeServer({
    key: (call) => `${call.method} ${call.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`,
    handle(call) {
      if (call.path === '/v5/oauth/token') {
        const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
        if (call.headers.authorization !== expected) return json(401, { code: 2, message: 'Authentication failed.' })
        const b = call.body as Record<string, string>
        if (b.grant_type === 'authorization_code') {
          if (!state.codes.delete(b.code) || !b.redirect_uri || !b.code_verifier) return json(400, { code: 1, message: 'Invalid authorization code.' })
          state.grants += 1
          const access = `pina_granted_${state.grants}_${'a'.repeat(8)}`
          const refresh = `pinr_granted_${state.grants}_${'r'.repeat(8)}`
          state.accessTokens.add(access)
          state.refreshTokens.add(refresh)
          return json(200, { access_token: access, refresh_token: refresh, token_type: 'bearer', expires_in: 2_592_000, refresh_token_expires_in: 31_536_000, scope: 'boards:read,pins:read,pins:write,user_accounts:read' })
        }
        if (b.grant_type !== 'refresh_token' || !state.refreshTokens.has(b.refresh_token)) return json(400, { code: 1, message: 'Invalid refresh token.' })
        state.refreshes += 1
        const access = `pina_refreshed_${state.refreshes}_${'x'.repeat(8)}`
        state.accessTokens.add(access)
        const rotated = state.rotateRefreshToken ? `pinr_rotated_${state.refreshes}_${'y'.repeat(8)}` : undefined
        if (rotated) {
          state.refreshTokens.delete(b.refresh_token)
          state.refreshTokens.add(rotated)
        }
        return json(200, { access_token: access, token_type: 'bearer', expires_in: 2_592_000, scope: 'boards:read,pins:read,pins:write', ...(rotated ? { refresh_token: rotated, refresh_token_expires_in: 31_536_000 } : {}) })
      }
      const token = String(call.headers.authorization ?? '').replace(/^Bearer /, '')
      if (!state.accessTokens.has(token)) return unauthorized()
      if (call.method === 'GET' && call.path === '/v5/user_account') return json(200, { username: state.username, account_type: 'BUSINESS' })
      if (call.method === 'GET' && call.path === '/v5/boards') {
        const page = pageOf(state.boards.map((b) => ({ ...b, description: '', privacy: 'PUBLIC' })), call.query)
        return page ? json(200, page) : json(400, { code: 1, message: 'page_size must be between 1 and 250' })
      }
      const board = call.path.match(/^\/v5\/boards\/([^/]+)(\/pins)?$/)
      if (call.method === 'GET' && board) {
        const found = state.boards.find((b) => b.id === board[1])
        if (!found) return json(404, { code: 40, message: 'Board not found.' })
        if (!board[2]) return json(200, found)
        // Newest first.
        const page = pageOf([...state.pins].filter((pin) => pin.board_id === found.id).reverse(), call.query)
        if (!page) return json(400, { code: 1, message: 'page_size must be between 1 and 250' })
        return json(200, { items: page.items.map(({ imageBytes: _b, ...pin }) => pin), bookmark: page.bookmark })
      }
      if (call.method === 'POST' && call.path === '/v5/pins') {
        const b = call.body as Record<string, unknown>
        if (!state.boards.some((board) => board.id === b.board_id)) return json(404, { code: 40, message: 'Board not found.' })
        const media = b.media_source as { source_type?: string; data?: string; url?: string } | undefined
        const bytes = media?.source_type === 'image_base64' ? Buffer.from(String(media.data ?? ''), 'base64').length : 0
        if (!media || (media.source_type === 'image_base64' && bytes === 0) || (media.source_type === 'image_url' && !media.url)) {
          return json(400, { code: 1, message: 'Invalid request body: media_source' })
        }
        if (String(b.description ?? '').length > 500) return json(400, { code: 1, message: 'description must be at most 500 characters' })
        const pin: Pin = {
          id: String(++nextId),
          board_id: String(b.board_id),
          title: String(b.title ?? ''),
          description: String(b.description ?? ''),
          link: b.link as string | undefined,
          note: b.note as string | undefined,
          alt_text: b.alt_text as string | undefined,
          created_at: new Date().toISOString().slice(0, 19),
          imageBytes: bytes,
        }
        state.pins.push(pin)
        return json(201, { id: pin.id, board_id: pin.board_id, title: pin.title, description: pin.description, link: pin.link ?? null, created_at: pin.created_at })
      }
      return json(404, { code: 404, message: 'Not found' })
    },
  })
  /** The code Pinterest hands the browser on the redirect after the user grants access. */
  const issueCode = () => {
    const code = `pincode-${state.codes.size}-${Date.now()}`
    state.codes.add(code)
    return code
  }
  return { ...fake, state, clientId, clientSecret, boardId, issueCode }
}
