import { json, startFakeServer, type Reply } from './http'

/**
 * The Instagram Graph API for content publishing: POST /{ig-user-id}/media makes a container
 * (image or carousel item, or a CAROUSEL of children) that reports IN_PROGRESS for
 * `pollsUntilFinished` status reads before FINISHED; POST /{ig-user-id}/media_publish publishes
 * a finished container (error 9007 otherwise); GET /{media-id}?fields=permalink, GET
 * /{ig-user-id}/media and GET /{ig-user-id}. Tokens come as a Bearer header or access_token;
 * errors are `{ error: { message, type, code, error_subcode, fbtrace_id } }`.
 * Facebook Login: GET /oauth/access_token trades a code from `issueCode()` for a short-lived
 * token, and (grant_type=fb_exchange_token with the app's id and secret) a valid token for a new
 * long-lived one (`longLivedSeconds`, about 60 days); an expired or unknown token answers
 * OAuthException 190 with subcode 463. GET /me/accounts lists the Page linked to the account.
 * Knob keys: `POST /media`, `POST /media_publish`, `GET /container`, `GET /media`, `GET /user`,
 * `GET /oauth/access_token`, `GET /me/accounts`.
 */
type Container = { id: string; imageUrl?: string; caption?: string; carouselItem: boolean; children?: string[]; polls: number; published?: string }

export async function startFakeInstagram(options: { igUserId?: string; token?: string; appId?: string; appSecret?: string } = {}) {
  const igUserId = options.igUserId ?? '17841400000000001'
  const token = options.token ?? 'EAAG-instagram-long-lived-token'
  const appId = options.appId ?? '987654321'
  const appSecret = options.appSecret ?? 'instagram-app-secret'
  const state = {
    /** Valid tokens and when each expires (ms since the epoch). */
    tokens: new Map<string, number>([[token, Number.POSITIVE_INFINITY]]),
    longLivedSeconds: 5_183_944,
    codes: new Set<string>(),
    exchanges: 0,
    username: 'zerno.coffee',
    pollsUntilFinished: 1,
    /** A container whose media Meta cannot process ends in ERROR. */
    failProcessing: false,
    containers: new Map<string, Container>(),
    media: [] as { id: string; caption: string; children: string[]; imageUrls: string[]; timestamp: string }[],
  }
  let nextId = 900_000
  const graphError = (status: number, code: number, message: string, subcode?: number): Reply =>
    json(status, { error: { message, type: code === 190 ? 'OAuthException' : 'IGApiException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEf' } })
  const permalink = (id: string) => `https://www.instagram.com/p/${id}/`

  const fake = await startFakeServer({
    key(call) {
      const [, first, second] = call.path.split('/')
      if (first === 'oauth' || first === 'me') return `${call.method} ${call.path}`
      if (first === igUserId && second) return `${call.method} /${second}`
      if (first === igUserId) return `${call.method} /user`
      return `${call.method} /container`
    },
    handle(call) {
      const b = call.body as Record<string, string>
      const expired = () => graphError(400, 190, 'Error validating access token: Session has expired on Saturday, 28-Nov-26 10:00:00 PST.', 463)
      const valid = (given: string | null | undefined) => !!given && (state.tokens.get(given) ?? 0) > Date.now()
      const issue = (prefix: string, seconds: number) => {
        const issued = `${prefix}-${++state.exchanges}-${'t'.repeat(12)}`
        state.tokens.set(issued, Date.now() + seconds * 1000)
        return json(200, { access_token: issued, token_type: 'bearer', expires_in: seconds })
      }
      if (call.key === 'GET /oauth/access_token') {
        const q = call.query
        if (q.get('client_id') !== appId || q.get('client_secret') !== appSecret) return graphError(400, 101, 'Error validating application. Invalid application ID.')
        if (q.get('grant_type') === 'fb_exchange_token') return valid(q.get('fb_exchange_token')) ? issue('EAAG-long', state.longLivedSeconds) : expired()
        if (!q.get('redirect_uri') || !state.codes.delete(q.get('code') ?? '')) return graphError(400, 100, 'Invalid verification code format.', 36007)
        return issue('EAAG-short', 3600)
      }
      const given = String(call.headers.authorization ?? '').replace(/^Bearer /, '') || call.query.get('access_token') || b.access_token
      if (!valid(given)) return expired()
      if (call.key === 'GET /me/accounts') {
        return json(200, { data: [{ name: 'Zerno', id: '104000000000001', instagram_business_account: { id: igUserId, username: state.username } }], paging: { cursors: { before: 'QVFI', after: 'QVFI' } } })
      }
      const [, first] = call.path.split('/')
      switch (call.key) {
        case 'GET /user':
          return json(200, { id: igUserId, username: 'zerno.coffee' })
        case 'POST /media': {
          const id = String(++nextId)
          if (b.media_type === 'CAROUSEL') {
            const children = String(b.children ?? '').split(',').filter(Boolean)
            if (children.length < 2 || children.some((c) => !state.containers.get(c)?.carouselItem)) return graphError(400, 100, 'Invalid parameter', 2207028)
            state.containers.set(id, { id, caption: b.caption, carouselItem: false, children, polls: 0 })
            return json(200, { id })
          }
          if (!/^https?:\/\//.test(String(b.image_url ?? ''))) return graphError(400, 9004, 'Only photo or video can be accepted as media type.', 2207052)
          if (String(b.caption ?? '').length > 2200) return graphError(400, 100, 'The caption is too long.', 2207035)
          state.containers.set(id, { id, imageUrl: b.image_url, caption: b.caption, carouselItem: b.is_carousel_item === 'true', polls: 0 })
          return json(200, { id })
        }
        case 'GET /container': {
          const container = state.containers.get(first)
          if (container) {
            container.polls += 1
            const status = state.failProcessing ? 'ERROR' : container.published ? 'PUBLISHED' : container.polls > state.pollsUntilFinished ? 'FINISHED' : 'IN_PROGRESS'
            return json(200, { id: container.id, status_code: status, ...(status === 'ERROR' ? { status: 'Error: 2207003 media download failed' } : {}) })
          }
          const media = state.media.find((m) => m.id === first)
          if (media) return json(200, { id: media.id, permalink: permalink(media.id) })
          return graphError(400, 100, `Unsupported get request. Object with ID '${first}' does not exist`, 33)
        }
        case 'POST /media_publish': {
          const container = state.containers.get(String(b.creation_id))
          if (!container) return graphError(400, 100, 'Invalid parameter', 2207027)
          if (container.polls <= state.pollsUntilFinished || state.failProcessing) return graphError(400, 9007, 'Media ID is not available', 2207027)
          if (container.published) return json(200, { id: container.published })
          const id = String(++nextId)
          container.published = id
          const children = container.children ?? []
          state.media.push({
            id,
            caption: container.caption ?? '',
            children,
            imageUrls: children.length ? children.map((c) => state.containers.get(c)!.imageUrl!) : [container.imageUrl!],
            timestamp: new Date().toISOString().replace(/\.\d+Z$/, '+0000'),
          })
          return json(200, { id })
        }
        case 'GET /media': {
          // Newest first, `limit` per page, cursor paging with `after` (here: the offset, base64).
          const limit = Math.min(Number(call.query.get('limit') ?? 25), 100)
          const from = Number(Buffer.from(call.query.get('after') ?? '', 'base64').toString() || 0)
          const all = [...state.media].reverse()
          const data = all.slice(from, from + limit).map((m) => ({ id: m.id, caption: m.caption, permalink: permalink(m.id), timestamp: m.timestamp }))
          const after = Buffer.from(String(from + limit)).toString('base64')
          const more = from + limit < all.length
          return json(200, { data, paging: { cursors: { before: Buffer.from(String(from)).toString('base64'), after }, ...(more ? { next: `${call.path}?after=${after}` } : {}) } })
        }
        default:
          return graphError(400, 100, 'Unsupported request', 33)
      }
    },
  })
  /** The code Facebook hands the browser on the redirect after the user grants access. */
  const issueCode = () => {
    const code = `igcode-${state.codes.size}-${Date.now()}`
    state.codes.add(code)
    return code
  }
  return { ...fake, state, igUserId, token, appId, appSecret, issueCode }
}
