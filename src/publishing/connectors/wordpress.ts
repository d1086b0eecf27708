import { readFile } from 'node:fs/promises'
import path from 'node:path'

import { z } from 'zod'

import { t } from '../../i18n'
import { escapeHtml } from '../../lib/text'
import type { Connector, PublishItem, PublishResult } from '../connector'
import { lookupSince, markerToken, PublishError } from '../connector'
import type { Credentials } from '../credentials'
import { basicAuth, httpCall, statusFailure, trimSlash, type HttpAnswer } from '../http'
import { paragraphsToHtml } from '../html'

type WpCredentials = Credentials<'wordpress'>

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp']
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

const WpError = z.object({ code: z.string(), message: z.string().optional(), data: z.record(z.string(), z.unknown()).nullish() })
const WpCreated = z.object({ id: z.number(), link: z.string().optional(), content: z.object({ raw: z.string().optional() }).optional() })
const WpMe = z.object({ capabilities: z.record(z.string(), z.unknown()).optional() })
const WpTerm = z.object({ id: z.number(), name: z.string() })
const WpFound = z.object({
  id: z.number(),
  link: z.string().optional(),
  title: z.object({ raw: z.string().optional() }).optional(),
  content: z.object({ raw: z.string().optional() }).optional(),
})
/** A lookup reads at most this many pages of search results (WordPress's largest page size). */
const LOOKUP_PAGES = 10
const LOOKUP_PAGE_SIZE = 100

const sameText = (text: string) => decodeEntities(text).replace(/\s+/g, ' ').trim()

function api(credentials: WpCredentials) {
  const root = `${trimSlash(credentials.siteUrl)}/wp-json/wp/v2`
  const auth = basicAuth(credentials.username, credentials.applicationPassword.replace(/\s+/g, ' '))
  return {
    root,
    call: (route: string, options: { method?: 'GET' | 'POST' | 'OPTIONS'; json?: unknown; body?: BodyInit; headers?: Record<string, string>; mutation?: boolean } = {}) =>
      httpCall('wordpress', `${root}${route}`, {
        method: options.method ?? 'GET',
        mutation: options.mutation,
        publicOnly: true,
        headers: {
          Authorization: auth,
          Accept: 'application/json',
          ...(options.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
      }),
  }
}

/**
 * WordPress errors are `{ code, message, data: { status } }`. A missing login (the header was
 * stripped by a security plugin or the server) and a wrong password both need the customer;
 * a role without the right or a removed REST route means the site no longer takes our posts.
 */
function wpFailure(answer: HttpAnswer, what: string, mutation = false): PublishError {
  const error = WpError.safeParse(answer.json)
  const detail = `${what}: HTTP ${answer.status}${error.success ? ` ${error.data.code}${error.data.message ? ` ${error.data.message}` : ''}` : ''}`
  const shared = statusFailure('wordpress', answer, detail, mutation)
  if (shared) return shared
  const code = error.success ? error.data.code : ''
  if (answer.status === 403 && code === 'rest_not_logged_in') return new PublishError('reauth', 'wordpress.auth_stripped', detail)
  if (answer.status === 403 || code === 'rest_cannot_create' || code === 'rest_forbidden') return new PublishError('disconnected', 'wordpress.forbidden', detail)
  if (answer.status === 404 || code === 'rest_no_route') return new PublishError('disconnected', 'wordpress.no_rest_api', detail)
  return new PublishError('bad_request', 'wordpress.rejected', detail)
}

/** A term (category or tag) by its exact name, created when the site does not have it. */
async function termId(credentials: WpCredentials, taxonomy: 'categories' | 'tags', name: string): Promise<number> {
  const wp = api(credentials)
  const found = await wp.call(`/${taxonomy}?${new URLSearchParams({ search: name, per_page: '100', _fields: 'id,name' })}`)
  if (found.status !== 200) throw wpFailure(found, `${taxonomy} search`)
  const terms = z.array(WpTerm).safeParse(found.json)
  const wanted = name.trim().toLowerCase()
  // Names come back HTML-escaped (&amp;): compare them as the site shows them.
  const match = terms.success ? terms.data.find((t) => decodeEntities(t.name).toLowerCase() === wanted) : undefined
  if (match) return match.id
  const created = await wp.call(`/${taxonomy}`, { method: 'POST', json: { name: name.trim() } })
  if (created.status === 201 || created.status === 200) {
    const term = WpTerm.safeParse(created.json)
    if (term.success) return term.data.id
  }
  // Created meanwhile by someone else: WordPress says term_exists and names the id.
  const error = WpError.safeParse(created.json)
  const existing = error.success && error.data.code === 'term_exists' ? Number(error.data.data?.term_id) : NaN
  if (Number.isInteger(existing)) return existing
  throw wpFailure(created, `${taxonomy} create`)
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
}

/** Uploads the featured image; a retry may leave an unused copy in the library, never a post. */
async function uploadMedia(credentials: WpCredentials, image: PublishItem['images'][number]): Promise<number> {
  const wp = api(credentials)
  const data = await readFile(image.path)
  const filename = path.basename(image.path).replace(/[^\w.-]/g, '_')
  const uploaded = await wp.call('/media', {
    method: 'POST',
    body: new Uint8Array(data),
    headers: { 'Content-Type': image.mimeType, 'Content-Disposition': `attachment; filename="${filename}"` },
  })
  const media = WpCreated.safeParse(uploaded.json)
  if (uploaded.status !== 201 || !media.success) throw wpFailure(uploaded, 'media upload')
  if (image.alt) {
    const alt = await wp.call(`/media/${media.data.id}`, { method: 'POST', json: { alt_text: image.alt } })
    if (alt.status >= 300) throw wpFailure(alt, 'media alt text')
  }
  return media.data.id
}

type SeoPlugin = 'yoast' | 'rankmath' | null
const seoCache = new Map<string, { plugin: SeoPlugin; until: number }>()
const SEO_CACHE_MS = 10 * 60_000

/**
 * Which SEO plugin's fields this site lets us write: Yoast and Rank Math keep title and
 * description in post meta that REST only accepts once registered with show_in_rest (a small
 * companion plugin does it). The posts route's OPTIONS schema lists the writable meta keys.
 */
async function seoPlugin(credentials: WpCredentials): Promise<SeoPlugin> {
  const key = trimSlash(credentials.siteUrl)
  const cached = seoCache.get(key)
  if (cached && cached.until > Date.now()) return cached.plugin
  const answer = await api(credentials).call('/posts', { method: 'OPTIONS' })
  const schema = answer.json as { schema?: { properties?: { meta?: { properties?: Record<string, unknown> } } } } | undefined
  const meta = Object.keys(schema?.schema?.properties?.meta?.properties ?? {})
  const plugin: SeoPlugin = meta.includes('_yoast_wpseo_metadesc')
    ? 'yoast'
    : meta.includes('rank_math_description')
      ? 'rankmath'
      : null
  if (answer.status === 200) seoCache.set(key, { plugin, until: Date.now() + SEO_CACHE_MS })
  return plugin
}

function seoMeta(plugin: SeoPlugin, item: PublishItem): Record<string, string> | undefined {
  const title = item.metaTitle?.trim()
  const description = item.metaDescription?.trim()
  if (!plugin || (!title && !description)) return undefined
  const keys = plugin === 'yoast' ? ['_yoast_wpseo_title', '_yoast_wpseo_metadesc'] : ['rank_math_title', 'rank_math_description']
  return { ...(title ? { [keys[0]]: title } : {}), ...(description ? { [keys[1]]: description } : {}) }
}

/** The FAQ under the body: a heading in the article's language, each question an h3 over its answer. */
function faqHtml(item: PublishItem): string {
  if (!item.faq?.length) return ''
  const questions = item.faq.map((f) => `<h3>${escapeHtml(f.question)}</h3>\n${paragraphsToHtml(f.answer)}`)
  return `\n<h2>${escapeHtml(t(item.language, 'publish.faq_heading'))}</h2>\n${questions.join('\n')}`
}

const JSON_LD_OPEN = '<script type="application/ld+json">'

/** JSON-LD in a script element, with `<`, `>` and `&` as JSON escapes so no answer can close it. */
function jsonLdScript(data: Record<string, unknown>): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
  return `${JSON_LD_OPEN}${json}</script>`
}

/**
 * Whether WordPress keeps a <script> in what this user posts: only users with `unfiltered_html`
 * (administrators and editors of a single site). For everyone else it runs the content through
 * kses, which drops the script tags and leaves the JSON as visible text. The user's own record
 * in the edit context lists their capabilities.
 */
async function mayPostScripts(credentials: WpCredentials): Promise<boolean> {
  const answer = await api(credentials).call(`/users/me?${new URLSearchParams({ context: 'edit', _fields: 'capabilities' })}`)
  return answer.status === 200 && WpMe.safeParse(answer.json).data?.capabilities?.unfiltered_html === true
}

const JSON_LD_REFUSED =
  'wordpress.jsonld_not_allowed: the FAQ went out without its FAQPage JSON-LD, because WordPress does not let this user post scripts (unfiltered_html: an administrator or editor of a single site has it)'

function isFuture(publishAt: string | null | undefined): publishAt is string {
  return !!publishAt && new Date(publishAt).getTime() > Date.now() + 60_000
}

/**
 * A WordPress post through the REST API with an application password: terms resolved by name
 * (created when missing), the first image as featured media, SEO title and description into
 * Yoast or Rank Math when the site exposes their meta, and otherwise the meta description as
 * the excerpt (what themes and SEO plugins fall back to). An article's FAQ follows its body as
 * a section, and its FAQPage JSON-LD as a script element where WordPress keeps scripts from this
 * user (else it goes without, with a warning on the publication). A hidden comment carries our marker.
 */
export const wordpressConnector: Connector<'wordpress'> = {
  platform: 'wordpress',
  validate(item) {
    const problems: string[] = []
    if (!item.title.trim()) problems.push('wordpress.no_title')
    if (!(item.html ?? item.text).trim()) problems.push('wordpress.empty')
    if (item.slug && !SLUG.test(item.slug)) problems.push('wordpress.bad_slug')
    if (item.images[0] && !IMAGE_TYPES.includes(item.images[0].mimeType)) problems.push('wordpress.image_type')
    return problems
  },
  async publish(item, credentials) {
    const wp = api(credentials)
    const [categories, tags] = await Promise.all([
      Promise.all((item.categories ?? []).map((name) => termId(credentials, 'categories', name))),
      Promise.all((item.tags ?? []).map((name) => termId(credentials, 'tags', name))),
    ])
    const featured = item.images[0] ? await uploadMedia(credentials, item.images[0]) : undefined
    const plugin = await seoPlugin(credentials)
    const meta = seoMeta(plugin, item)
    const warnings: string[] = []
    const jsonLd = item.faqJsonLd && (await mayPostScripts(credentials)) ? `\n${jsonLdScript(item.faqJsonLd)}` : ''
    if (item.faqJsonLd && !jsonLd) warnings.push(JSON_LD_REFUSED)
    const text = `${item.html ?? paragraphsToHtml(item.text)}${faqHtml(item)}`
    const content = `${text}${jsonLd}\n<!-- ${markerToken(item.marker)} -->`
    const future = isFuture(item.publishAt)
    const send = (meta: Record<string, string> | undefined) =>
      wp.call('/posts', {
        method: 'POST',
        mutation: true,
        json: {
          // WordPress renders title and excerpt as HTML: AI-written text goes in as text, like the body.
          title: escapeHtml(item.title),
          content,
          status: future ? 'future' : 'publish',
          ...(future ? { date_gmt: new Date(item.publishAt!).toISOString().slice(0, 19) } : {}),
          ...(item.slug ? { slug: item.slug } : {}),
          excerpt: escapeHtml((meta ? item.excerpt : (item.metaDescription ?? item.excerpt)) ?? ''),
          ...(categories.length ? { categories } : {}),
          ...(tags.length ? { tags } : {}),
          ...(featured ? { featured_media: featured } : {}),
          ...(meta ? { meta } : {}),
        },
      })
    let answer = await send(meta)
    // The SEO plugin went away since we looked (its meta is now an invalid parameter). A 400
    // made nothing, so sending once more with the excerpt fallback is safe.
    if (meta && answer.status === 400 && WpError.safeParse(answer.json).data?.code === 'rest_invalid_param' && /meta/.test(answer.text)) {
      seoCache.delete(trimSlash(credentials.siteUrl))
      answer = await send(undefined)
    }
    const post = WpCreated.safeParse(answer.json)
    if (answer.status === 201 && post.success) {
      const raw = post.data.content?.raw
      // Capabilities said yes, yet the site filtered the script (multisite, DISALLOW_UNFILTERED_HTML):
      // its JSON now shows as text on the page, so the post is saved again without it.
      if (jsonLd && raw !== undefined && !raw.includes(JSON_LD_OPEN)) {
        const fixed = await wp.call(`/posts/${post.data.id}`, { method: 'POST', json: { content: `${text}\n<!-- ${markerToken(item.marker)} -->` } })
        warnings.push(fixed.status < 300 ? JSON_LD_REFUSED : `${JSON_LD_REFUSED}; removing the JSON shown as text failed: HTTP ${fixed.status}`)
      }
      return { remoteId: String(post.data.id), remoteUrl: post.data.link ?? null, ...(warnings.length ? { warnings } : {}) }
    }
    // 2xx with an unreadable body: WordPress may have saved it; a caching or security layer
    // answered instead. Unknown, so it is looked up, not re-sent.
    if (answer.status < 300) throw new PublishError('unconfirmed', 'wordpress.unreadable', `posts: HTTP ${answer.status}`)
    throw wpFailure(answer, 'posts', true)
  },
  async lookup(item, credentials): Promise<PublishResult[]> {
    const token = markerToken(item.marker)
    const comment = `<!-- ${token} -->`
    const wanted = sameText(item.title)
    const found: PublishResult[] = []
    // Search matches substrings and pages hold at most 100: read every page, newest first,
    // only posts dated after the first call (a scheduled post carries its future date).
    for (let page = 1; page <= LOOKUP_PAGES; page++) {
      const query = new URLSearchParams({
        search: token,
        status: 'publish,future,draft,pending,private',
        context: 'edit',
        per_page: String(LOOKUP_PAGE_SIZE),
        page: String(page),
        orderby: 'date',
        order: 'desc',
        after: new Date(lookupSince(item)).toISOString(),
        _fields: 'id,link,title,content',
      })
      const answer = await api(credentials).call(`/posts?${query}`)
      if (answer.status === 400 && WpError.safeParse(answer.json).data?.code === 'rest_post_invalid_page_number') break
      if (answer.status !== 200) throw wpFailure(answer, 'posts search')
      const posts = z.array(WpFound).safeParse(answer.json)
      if (!posts.success) throw new PublishError('retry', 'wordpress.unreadable', 'posts search: unexpected answer')
      for (const post of posts.data) {
        // Our exact comment (a marker that merely starts with ours is another one) under our title.
        if (post.content?.raw?.includes(comment) && sameText(post.title?.raw ?? '') === wanted) {
          found.push({ remoteId: String(post.id), remoteUrl: post.link ?? null })
        }
      }
      const pages = Number(answer.headers.get('x-wp-totalpages'))
      if (posts.data.length < LOOKUP_PAGE_SIZE || (Number.isFinite(pages) && page >= pages)) break
    }
    return found
  },
}
