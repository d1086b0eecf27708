import { json, startFakeServer, type Reply } from './http'

/**
 * A WordPress site's REST API (/wp-json/wp/v2) with application-password Basic auth: users/me,
 * categories and tags (term_exists on duplicates), raw media uploads, posts (create, search in
 * raw content with context=edit) and the posts route's OPTIONS schema listing writable meta
 * (Yoast's or Rank Math's when `seo` says the site exposes them). Errors have WordPress's
 * `{ code, message, data: { status } }` shape. Knob keys: `POST /posts`, `GET /users/me`, ...
 */
export type WpPost = {
  id: number
  title: string
  content: string
  status: string
  slug: string
  excerpt: string
  categories: number[]
  tags: number[]
  featured_media: number
  meta: Record<string, string>
  date_gmt?: string
}

export async function startFakeWordpress(options: { username?: string; password?: string; seo?: 'yoast' | 'rankmath' | null } = {}) {
  const username = options.username ?? 'editor'
  const password = options.password ?? 'abcd efgh ijkl mnop'
  const state = {
    seo: options.seo ?? null,
    /** A security plugin that strips the Authorization header before WordPress sees it. */
    stripAuth: false,
    posts: [] as WpPost[],
    media: [] as { id: number; filename: string; type: string; size: number; alt: string }[],
    terms: { categories: [] as { id: number; name: string }[], tags: [] as { id: number; name: string }[] },
  }
  let nextId = 100
  const wpError = (status: number, code: string, message: string, data: Record<string, unknown> = {}): Reply =>
    json(status, { code, message, data: { status, ...data } })

  const fake = await startFakeServer({
    key: (call) => `${call.method} ${call.path.replace(/^\/wp-json\/wp\/v2/, '').replace(/\/\d+$/, '/:id')}`,
    handle(call, base) {
      if (!call.path.startsWith('/wp-json/wp/v2/')) return { status: 404, text: '<html>Not Found</html>' }
      const route = call.path.replace('/wp-json/wp/v2', '')
      if (call.method === 'OPTIONS' && route === '/posts') {
        const meta =
          state.seo === 'yoast'
            ? { _yoast_wpseo_title: { type: 'string' }, _yoast_wpseo_metadesc: { type: 'string' } }
            : state.seo === 'rankmath'
              ? { rank_math_title: { type: 'string' }, rank_math_description: { type: 'string' } }
              : {}
        return json(200, { namespace: 'wp/v2', methods: ['GET', 'POST'], schema: { title: 'post', type: 'object', properties: { meta: { type: 'object', properties: meta } } } })
      }
      const header = state.stripAuth ? undefined : call.headers.authorization
      if (!header) return wpError(401, 'rest_not_logged_in', 'You are not currently logged in.')
      const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(/:(.*)/s)
      if (user !== username) return wpError(401, 'invalid_username', 'Unknown username.')
      if (pass.replace(/\s+/g, '') !== password.replace(/\s+/g, '')) return wpError(401, 'incorrect_password', 'The provided password is an invalid application password.')

      if (route === '/users/me') return json(200, { id: 1, name: 'Editor', slug: username, capabilities: { publish_posts: true, upload_files: true } })
      const taxonomy = route.match(/^\/(categories|tags)$/)?.[1] as 'categories' | 'tags' | undefined
      if (taxonomy && call.method === 'GET') {
        const search = (call.query.get('search') ?? '').toLowerCase()
        return json(200, state.terms[taxonomy].filter((t) => t.name.toLowerCase().includes(search)).map((t) => ({ id: t.id, name: t.name.replace(/&/g, '&amp;') })))
      }
      if (taxonomy && call.method === 'POST') {
        const name = String(call.body.name ?? '')
        const existing = state.terms[taxonomy].find((t) => t.name.toLowerCase() === name.toLowerCase())
        if (existing) return wpError(400, 'term_exists', 'A term with the name provided already exists.', { term_id: existing.id })
        const term = { id: ++nextId, name }
        state.terms[taxonomy].push(term)
        return json(201, term)
      }
      if (route === '/media' && call.method === 'POST') {
        const filename = /filename="([^"]+)"/.exec(String(call.headers['content-disposition'] ?? ''))?.[1]
        if (!filename || call.raw.length === 0) return wpError(400, 'rest_upload_no_data', 'No data supplied.')
        const media = { id: ++nextId, filename, type: String(call.headers['content-type']), size: call.raw.length, alt: '' }
        state.media.push(media)
        return json(201, { id: media.id, source_url: `${base}/wp-content/uploads/${filename}`, mime_type: media.type })
      }
      const mediaId = route.match(/^\/media\/(\d+)$/)?.[1]
      if (mediaId && call.method === 'POST') {
        const media = state.media.find((m) => m.id === Number(mediaId))
        if (!media) return wpError(404, 'rest_post_invalid_id', 'Invalid post ID.')
        media.alt = String(call.body.alt_text ?? '')
        return json(200, { id: media.id, alt_text: media.alt })
      }
      if (route === '/posts' && call.method === 'POST') {
        const b = call.body as Record<string, unknown>
        if (!b.title || !b.content) return wpError(400, 'empty_content', 'Content, title, and excerpt are empty.')
        if (!['publish', 'future', 'draft', 'pending', 'private'].includes(String(b.status))) return wpError(400, 'rest_invalid_param', 'Invalid parameter(s): status')
        if (b.featured_media && !state.media.some((m) => m.id === b.featured_media)) return wpError(400, 'rest_invalid_featured_media', 'Invalid featured media ID.')
        const meta = (b.meta ?? {}) as Record<string, string>
        const allowed = state.seo === 'yoast' ? ['_yoast_wpseo_title', '_yoast_wpseo_metadesc'] : state.seo === 'rankmath' ? ['rank_math_title', 'rank_math_description'] : []
        const unknown = Object.keys(meta).filter((k) => !allowed.includes(k))
        if (unknown.length) return wpError(400, 'rest_invalid_param', `Invalid parameter(s): meta (${unknown.join(', ')})`)
        const post: WpPost = {
          id: ++nextId,
          title: String(b.title),
          content: String(b.content),
          status: String(b.status),
          slug: String(b.slug ?? `post-${nextId}`),
          excerpt: String(b.excerpt ?? ''),
          categories: (b.categories as number[]) ?? [],
          tags: (b.tags as number[]) ?? [],
          featured_media: Number(b.featured_media ?? 0),
          meta,
          date_gmt: b.date_gmt as string | undefined,
        }
        state.posts.push(post)
        return json(201, { id: post.id, link: `${base}/${post.slug}/`, status: post.status, slug: post.slug })
      }
      if (route === '/posts' && call.method === 'GET') {
        const search = call.query.get('search') ?? ''
        const found = state.posts.filter((p) => p.content.includes(search) || p.title.includes(search))
        const edit = call.query.get('context') === 'edit'
        return json(200, found.map((p) => ({ id: p.id, link: `${base}/${p.slug}/`, content: edit ? { raw: p.content, rendered: p.content } : { rendered: p.content } })))
      }
      return wpError(404, 'rest_no_route', 'No route was found matching the URL and request method.')
    },
  })
  return { ...fake, state, username, password }
}
