import { json, startFakeServer, type Reply } from './http'

/**
 * A WordPress site's REST API (/wp-json/wp/v2) with application-password Basic auth: users/me,
 * categories and tags (term_exists on duplicates), raw media uploads, posts and the posts
 * route's OPTIONS schema listing writable meta (Yoast's or Rank Math's when `seo` says the site
 * exposes them). Listing posts follows the REST reference: `search` matches every term as a
 * case-insensitive substring of the title, excerpt or content; `status` (default publish),
 * `after`/`before` on the post date (the site runs on UTC), newest first; `per_page` 1-100
 * (default 10) and `page`, with X-WP-Total/X-WP-TotalPages and `rest_post_invalid_page_number`
 * past the last page; `context=edit` adds raw title and content; `_fields` trims the answer.
 * Errors have WordPress's `{ code, message, data: { status } }` shape. Knob keys: `POST /posts`,
 * `GET /users/me`, ...
 * Content from a user without `unfiltered_html` goes through kses as in WordPress: script tags
 * are dropped and their text stays. A created post answers as WordPress does (context edit: its
 * `link`, raw content); `POST /posts/:id` updates one; `users/me?context=edit` lists capabilities.
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
  /** When it was (or will be) published, UTC without a zone as WordPress writes it. */
  date_gmt: string
}

const wpDate = (instant: Date) => instant.toISOString().slice(0, 19)

/** WP_Query's search terms: quoted phrases kept whole, otherwise split on spaces, commas and plus signs. */
function searchTerms(search: string): string[] {
  return (search.match(/".*?("|$)|((?<=[\t ",+])|^)[^\t ",+]+/g) ?? []).map((term) => term.replace(/^"|"$/g, '').trim()).filter(Boolean)
}

export async function startFakeWordpress(options: { username?: string; password?: string; seo?: 'yoast' | 'rankmath' | null } = {}) {
  const username = options.username ?? 'editor'
  const password = options.password ?? 'abcd efgh ijkl mnop'
  const state = {
    seo: options.seo ?? null,
    /** A security plugin that strips the Authorization header before WordPress sees it. */
    stripAuth: false,
    /**
     * Whether anyone on the site ever created an application password (WordPress's
     * `using_application_passwords` option): until then WordPress ignores Basic credentials.
     */
    appPasswordsInUse: true,
    /** wp_is_application_passwords_available(): HTTPS or a local site, and no plugin disabling them. */
    appPasswordsAvailable: true,
    /** The user's role lists `unfiltered_html` (an administrator or editor of a single site). */
    unfilteredHtml: true,
    /**
     * Whether kses filters the user's content anyway although the role lists the capability
     * (multisite without super admin, DISALLOW_UNFILTERED_HTML); null: it follows `unfilteredHtml`.
     */
    ksesAnyway: null as boolean | null,
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
      // The REST index lists application passwords under `authentication` only where they are available.
      if (/^\/wp-json\/?$/.test(call.path) && call.method === 'GET') {
        const authentication = state.appPasswordsAvailable ? { 'application-passwords': { endpoints: { authorization: `${base}/wp-admin/authorize-application.php` } } } : {}
        return json(200, { name: 'Fake site', url: base, namespaces: ['oembed/1.0', 'wp/v2'], authentication })
      }
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
      // wp_validate_application_password() and wp_authenticate_application_password(): Basic
      // credentials are looked at only when they reach PHP, application passwords are available
      // and at least one exists on the site; otherwise the request is simply not logged in.
      const header = state.stripAuth || !state.appPasswordsAvailable || !state.appPasswordsInUse ? undefined : call.headers.authorization
      if (!header) return wpError(401, 'rest_not_logged_in', 'You are not currently logged in.')
      const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(/:(.*)/s)
      if (user !== username) return wpError(401, 'invalid_username', 'Unknown username.')
      if (pass.replace(/\s+/g, '') !== password.replace(/\s+/g, '')) return wpError(401, 'incorrect_password', 'The provided password is an invalid application password.')

      if (route === '/users/me') {
        // Capabilities are part of the edit context only.
        const me = { id: 1, name: 'Editor', slug: username }
        if (call.query.get('context') !== 'edit') return json(200, me)
        return json(200, { ...me, capabilities: { publish_posts: true, upload_files: true, ...(state.unfilteredHtml ? { unfiltered_html: true } : {}) } })
      }
      // wp_filter_post_kses: tags outside the allowed list (script) go, the text between them stays.
      const kses = (content: string) => ((state.ksesAnyway ?? !state.unfilteredHtml) ? content.replace(/<\/?script\b[^>]*>/gi, '') : content)
      const postId = route.match(/^\/posts\/(\d+)$/)?.[1]
      if (postId && call.method === 'POST') {
        const post = state.posts.find((p) => p.id === Number(postId))
        if (!post) return wpError(404, 'rest_post_invalid_id', 'Invalid post ID.')
        if (typeof call.body.content === 'string') post.content = kses(call.body.content)
        return json(200, { id: post.id, link: `${base}/${post.slug}/`, status: post.status, slug: post.slug, content: { raw: post.content, rendered: post.content } })
      }
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
          content: kses(String(b.content)),
          status: String(b.status),
          slug: String(b.slug ?? `post-${nextId}`),
          excerpt: String(b.excerpt ?? ''),
          categories: (b.categories as number[]) ?? [],
          tags: (b.tags as number[]) ?? [],
          featured_media: Number(b.featured_media ?? 0),
          meta,
          date_gmt: typeof b.date_gmt === 'string' ? b.date_gmt : wpDate(new Date()),
        }
        state.posts.push(post)
        return json(201, { id: post.id, link: `${base}/${post.slug}/`, status: post.status, slug: post.slug, content: { raw: post.content, rendered: post.content } })
      }
      if (route === '/posts' && call.method === 'GET') {
        const perPage = Number(call.query.get('per_page') ?? 10)
        const page = Number(call.query.get('page') ?? 1)
        if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return wpError(400, 'rest_invalid_param', 'Invalid parameter(s): per_page', { params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' } })
        if (!Number.isInteger(page) || page < 1) return wpError(400, 'rest_invalid_param', 'Invalid parameter(s): page')
        const statuses = (call.query.get('status') ?? 'publish').split(',')
        const terms = searchTerms(call.query.get('search') ?? '').map((term) => term.toLowerCase())
        const after = call.query.get('after')
        const before = call.query.get('before')
        const at = (value: string) => new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`).getTime()
        const found = state.posts
          .filter((p) => statuses.includes(p.status) || statuses.includes('any'))
          .filter((p) => terms.every((term) => [p.title, p.excerpt, p.content].some((field) => field.toLowerCase().includes(term))))
          .filter((p) => (!after || at(p.date_gmt) > at(after)) && (!before || at(p.date_gmt) < at(before)))
          .sort((a, b) => at(b.date_gmt) - at(a.date_gmt) || b.id - a.id)
        const totalPages = Math.ceil(found.length / perPage)
        if (page > totalPages && found.length > 0) return wpError(400, 'rest_post_invalid_page_number', 'The page number requested is larger than the number of pages available.')
        const edit = call.query.get('context') === 'edit'
        const fields = call.query.get('_fields')?.split(',')
        const shown = found.slice((page - 1) * perPage, page * perPage).map((p) => {
          const full: Record<string, unknown> = {
            id: p.id,
            date_gmt: p.date_gmt,
            status: p.status,
            slug: p.slug,
            link: `${base}/${p.slug}/`,
            title: edit ? { raw: p.title, rendered: p.title } : { rendered: p.title },
            content: edit ? { raw: p.content, rendered: p.content, protected: false } : { rendered: p.content, protected: false },
            excerpt: edit ? { raw: p.excerpt, rendered: p.excerpt } : { rendered: p.excerpt },
          }
          return fields ? Object.fromEntries(Object.entries(full).filter(([key]) => fields.includes(key))) : full
        })
        return json(200, shown, { 'X-WP-Total': String(found.length), 'X-WP-TotalPages': String(totalPages) })
      }
      return wpError(404, 'rest_no_route', 'No route was found matching the URL and request method.')
    },
  })
  return { ...fake, state, username, password }
}
