import { stat } from 'node:fs/promises'
import path from 'node:path'

import { getPayload, type Collection, type Endpoint, type Payload, type SanitizedCollectionConfig, type SanitizedConfig } from 'payload'

import { languageOf } from '../i18n/request'
import { inCallersLanguage } from './language'
import { AppError } from './errors'
import { BODY_LIMITS, readLimitedBody, withBody } from './body'
import { clientAddress } from './clientAddress'
import { secureSetCookies } from './cookies'
import { assertNoNul, assertPaging, assertSerialId, decodeStrict, parseJsonObject } from './input'
import { checkWhere, whereFromQueryKeys } from './where'
import { refusal, underLoginLimit } from './loginLimit'

type RouteArgs = { params: Promise<{ slug: string[] }> }
type RestHandler = (request: Request, args: RouteArgs) => Promise<Response>

const WITH_BODY = new Set(['POST', 'PATCH', 'PUT'])
const utf8 = new TextDecoder('utf-8', { fatal: true })
const EMPTY_OBJECT = new TextEncoder().encode('{}')

/**
 * Wraps one of Payload's REST handlers (src/app/(payload)/api/[...slug]/route.ts) with what
 * Payload leaves to the database: body size, content type, JSON shape, ids of the collection's
 * id type, pagination in range, percent-encoding and NUL characters, plus the sign-in limiter.
 * Everything is derived from the Payload config, so a new collection or endpoint is covered.
 */
export function guardRest(config: Promise<SanitizedConfig>, handler: RestHandler): RestHandler {
  return async (request, args) => {
    const language = languageOf({ headers: request.headers })
    const startedAt = performance.now()
    try {
      const payload = await getPayload({ config })
      const url = new URL(request.url)
      const segments = await pathSegments(url, args, language)
      const override = request.method === 'POST' && isGetOverride(request)
      const method = override ? 'GET' : request.method
      // Payload looks collections up with `collections[slug]`: `/api/toString` found a function.
      if (segments[0] && segments[0] in Object.prototype) throw new AppError('request.not_found', 404, language)
      const collection = collectionOf(payload, segments[0])?.config
      // Internal collections (migrations) have no REST endpoints; Payload would answer 501.
      if (collection && collection.endpoints === false) throw new AppError('request.not_found', 404, language)
      checkQuery(url.search.slice(1), payload, language, collection)
      // Preferences belong to the admin's own users; Payload fails in SQL for anyone else.
      if (collection?.slug === 'payload-preferences' && (await payload.auth({ headers: request.headers })).user?.collection !== payload.config.admin.user) {
        throw new AppError('auth.staff_only', 403, language)
      }
      if (collection) checkRouteParams(payload, collection.slug, collection.endpoints, segments.slice(1), method, language)

      if (!WITH_BODY.has(request.method)) {
        const response = await handler(request, args)
        if (collection?.upload && segments[1] === 'file' && response.status === 500 && !(await fileExists(collection, segments[2]))) {
          // Payload answers a 500 for an upload file that is not on disk (after its access check).
          throw new AppError('request.not_found', 404, language)
        }
        return secureSetCookies(request, response)
      }
      const body = await checkBody(request, collection, override, payload, language)
      const forwarded = withBody(request, body.bytes, body.contentType)

      const authAction = collection?.auth && method === 'POST' && segments.length === 2 ? segments[1] : undefined
      const swaggerLogin = !collection && request.method === 'POST' && segments.join('/') === OPENAPI_AUTH
      const reset = authAction === 'forgot-password'
      if (!reset && authAction !== 'login' && !swaggerLogin) return secureSetCookies(request, await handler(forwarded, args))
      const email = swaggerLogin ? passwordForm(body, language) : (body.json?.email ?? body.json?.username)
      const attempt = { reset, email, collection: collection?.slug ?? payload.config.admin.user }
      const response = await underLoginLimit(payload, clientAddress(request), [attempt], language, startedAt, async () => {
        const answer = await handler(forwarded, args)
        return { answer, failed: !answer.ok }
      })
      return secureSetCookies(request, response)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      return refusal(await inCallersLanguage(error, request, config), startedAt)
    }
  }
}

/** The segments Payload will route on (Next's decoded catch-all params), after checking the raw path. */
async function pathSegments(url: URL, args: RouteArgs | undefined, language: string): Promise<string[]> {
  for (const raw of url.pathname.split('/')) assertNoNul(decodeStrict(raw, language), language)
  const params = await args?.params
  const segments = params?.slug ?? url.pathname.replace(/^\/api\/?/, '').split('/').map((s) => decodeStrict(s, language))
  for (const segment of segments) assertNoNul(segment, language)
  return segments.filter((segment) => segment !== '')
}

const GEO_OPERATOR = /\[([^\]]*)\]\[(near|within|intersects)\]$/

function checkQuery(search: string, payload: Payload, language: string, collection?: SanitizedCollectionConfig) {
  if (!search) return
  const whereKeys: Array<[string, string]> = []
  for (const pair of search.split('&')) {
    const [rawKey, ...rest] = pair.split('=')
    const key = decodeStrict(rawKey.replace(/\+/g, ' '), language)
    const value = decodeStrict(rest.join('=').replace(/\+/g, ' '), language)
    assertNoNul(key, language)
    assertNoNul(value, language)
    if (key === 'page' || key === 'limit' || key === 'depth') assertPaging(key, value, language, payload.config.maxDepth)
    if (collection && key.startsWith('where[')) checkIdComparison(payload, collection, key, value, language)
    if (key.startsWith('where[')) whereKeys.push([key, value])
    // Payload reads these two with a bare JSON.parse (`?where=abc` was a 500, anonymously too).
    if ((key === 'where' || key === 'data') && value !== '') {
      const parsed = parseJsonObject(value, language)
      if (key === 'where') checkWhere(parsed, payload, collection, language)
    }
    // Geometry operators reach PostGIS functions that fail in SQL on anything but a point field.
    const geo = key.match(GEO_OPERATOR)
    if (geo && !collection?.flattenedFields.some((field) => field.type === 'point' && field.name === geo[1].split('.').at(-1))) {
      throw new AppError('request.invalid', 400, language, { details: `${geo[2]} works on point fields only` })
    }
  }
  if (whereKeys.length > 0) checkWhere(whereFromQueryKeys(whereKeys), payload, collection, language)
}

const isGetOverride = (request: Request) =>
  request.headers.get('x-payload-http-method-override') === 'GET' || request.headers.get('x-http-method-override') === 'GET'

const COMPARISON = /\[([^[\]]+)\]\[(equals|not_equals|in|not_in|all|greater_than|greater_than_equal|less_than|less_than_equal)\](\[\d*\])?$/

/** Request paths are any string, not one of the generated slugs. */
const collectionOf = (payload: Payload, slug: string | undefined): Collection | undefined =>
  slug ? (payload.collections as Record<string, Collection | undefined>)[slug] : undefined

const numericIds = (payload: Payload, slug: string) =>
  (collectionOf(payload, slug)?.customIDType ?? payload.db.defaultIDType) === 'number'

/**
 * A `where` on the id or on a relationship to collections with serial ids compares with an
 * integer column: anything else fails in SQL (`where[account][equals]=abc` was a 500).
 */
function checkIdComparison(payload: Payload, collection: SanitizedCollectionConfig, key: string, value: string, language: string) {
  const match = key.match(COMPARISON)
  if (!match) return
  const [, fieldName] = match
  let numeric = false
  if (fieldName === 'id') numeric = numericIds(payload, collection.slug)
  else {
    const field = collection.flattenedFields.find((candidate) => candidate.name === fieldName)
    if (field && (field.type === 'relationship' || field.type === 'upload') && typeof field.relationTo === 'string') {
      numeric = numericIds(payload, field.relationTo)
    }
  }
  if (!numeric) return
  for (const item of value.split(',')) if (item !== '' && item !== 'null' && item !== '0') assertSerialId(item.trim(), language)
}

/** Matches a collection endpoint path (`/:id`, `/versions/:id`, `/access/:id?`) as Payload does. */
function matchEndpoint(pattern: string, path: string[]): Record<string, string> | null {
  const parts = pattern.split('/').filter(Boolean)
  if (path.length > parts.length) return null
  const params: Record<string, string> = {}
  for (const [index, part] of parts.entries()) {
    const segment = path[index]
    if (part.startsWith(':')) {
      if (segment === undefined) {
        if (part.endsWith('?')) continue
        return null
      }
      params[part.slice(1).replace(/\?$/, '')] = segment
    } else if (segment !== part) return null
  }
  return params
}

/** The `:id` of the endpoint Payload will pick must be of the collection's id type. */
function checkRouteParams(
  payload: Payload,
  slug: string,
  endpoints: Endpoint[] | false | undefined,
  path: string[],
  method: string,
  language: string,
) {
  if (!endpoints) return
  const lower = method.toLowerCase()
  for (const endpoint of endpoints) {
    if (endpoint.method !== lower) continue
    const params = matchEndpoint(endpoint.path, path)
    if (!params) continue
    const versions = endpoint.path.startsWith('/versions')
    // Payload registers the versions endpoints on every collection and fails in SQL without them.
    if (versions && !collectionOf(payload, slug)?.config.versions) throw new AppError('request.no_versions', 404, language, { collection: slug })
    if (params.id === undefined) return
    const numeric = versions || numericIds(payload, slug)
    if (numeric) assertSerialId(params.id, language)
    return
  }
}

/** payload-oapi's OAuth password flow for the API docs: a sign-in like any other. */
const OPENAPI_AUTH = 'openapi-auth'

/** The docs' sign-in form must carry a username and a password (the plugin reads them blindly). */
function passwordForm(body: CheckedBody, language: string): string {
  const form = body.contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(new TextDecoder().decode(body.bytes)) : null
  const username = form?.get('username')
  if (!username || !form?.get('password')) throw new AppError('request.invalid', 400, language, { details: 'username, password' })
  return username
}

type CheckedBody = { bytes: Uint8Array<ArrayBuffer>; contentType?: string; json?: Record<string, unknown> }

async function checkBody(
  request: Request,
  collection: SanitizedCollectionConfig | undefined,
  override: boolean,
  payload: Payload,
  language: string,
): Promise<CheckedBody> {
  const upload = Boolean(collection?.upload)
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  const multipart = contentType === 'multipart/form-data'
  const bytes = await readLimitedBody(request, multipart && upload ? BODY_LIMITS.upload : BODY_LIMITS.json, language)
  // Without a body Payload hands `undefined` to the operation as its data (a create then fails in SQL).
  if (bytes.byteLength === 0) return { bytes: EMPTY_OBJECT, contentType: 'application/json', json: {} }
  if (contentType === 'application/json') {
    const json = parseJsonObject(decodeUtf8(bytes, language), language)
    return { bytes, contentType: 'application/json', json }
  }
  if (multipart) {
    // The admin's own forms (its login included) send their fields as JSON in `_payload`.
    return { bytes, json: await checkMultipart(request, bytes, language) }
  }
  if (contentType === 'application/x-www-form-urlencoded' && (override || !collection)) {
    checkQuery(decodeUtf8(bytes, language), payload, language, collection)
    return { bytes, contentType: 'application/x-www-form-urlencoded' }
  }
  throw new AppError('request.unsupported_type', 415, language)
}

function decodeUtf8(bytes: Uint8Array<ArrayBuffer>, language: string): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new AppError('request.bad_json', 400, language, { details: 'not UTF-8' })
  }
}

/** Payload parses the admin's `_payload` field with a bare JSON.parse: check it here, and give it back. */
async function checkMultipart(request: Request, bytes: Uint8Array<ArrayBuffer>, language: string): Promise<Record<string, unknown> | undefined> {
  let form: FormData
  try {
    form = await new Request(request.url, { method: 'POST', headers: { 'content-type': request.headers.get('content-type')! }, body: bytes }).formData()
  } catch {
    throw new AppError('request.invalid', 400, language, { details: 'multipart/form-data' })
  }
  const data = form.get('_payload')
  if (data === null) return undefined
  if (typeof data !== 'string') throw new AppError('request.bad_json', 400, language, { details: '_payload' })
  return parseJsonObject(data, language)
}

async function fileExists(collection: SanitizedCollectionConfig, filename: string | undefined): Promise<boolean> {
  if (!filename) return false
  const directory = path.resolve(collection.upload.staticDir || collection.slug)
  return stat(path.resolve(directory, filename)).then(
    (stats) => stats.isFile(),
    () => false,
  )
}
