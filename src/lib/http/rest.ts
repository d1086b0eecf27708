import { getPayload, type Endpoint, type Payload, type SanitizedConfig } from 'payload'

import { languageOf } from '../../i18n/request'
import { AppError, errorResponse } from '../errors'
import { BODY_LIMITS, readLimitedBody, withBody } from './body'
import { clientAddress } from './clientAddress'
import { secureSetCookies } from './cookies'
import { assertNoNul, assertPaging, assertSerialId, decodeStrict, parseJsonObject } from './input'
import { LoginThrottled, padFailedLogin, takeLoginAttempt } from './loginLimit'

type RouteArgs = { params: Promise<{ slug: string[] }> }
type RestHandler = (request: Request, args: RouteArgs) => Promise<Response>

const WITH_BODY = new Set(['POST', 'PATCH', 'PUT'])
const utf8 = new TextDecoder('utf-8', { fatal: true })

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
      checkQuery(url.search.slice(1), payload, language)
      const override = request.method === 'POST' && isGetOverride(request)
      const method = override ? 'GET' : request.method
      const collection = payload.collections[segments[0] ?? '']?.config
      if (collection) checkRouteParams(payload, collection.slug, collection.endpoints, segments.slice(1), method, language)

      if (!WITH_BODY.has(request.method)) return secureSetCookies(request, await handler(request, args))
      const body = await checkBody(request, Boolean(collection?.upload), override, payload, language)
      const forwarded = withBody(request, body.bytes, body.contentType)

      const login = collection?.auth && method === 'POST' && segments.length === 2 && segments[1] === 'login'
      if (!login) return secureSetCookies(request, await handler(forwarded, args))
      await takeLoginAttempt(clientAddress(request), body.json?.email ?? body.json?.username, language)
      const response = await handler(forwarded, args)
      if (!response.ok) await padFailedLogin(startedAt)
      return secureSetCookies(request, response)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      if (error instanceof LoginThrottled) await padFailedLogin(startedAt)
      const headers: Record<string, string> = error instanceof LoginThrottled ? { 'Retry-After': String(error.retryAfterSeconds) } : {}
      return errorResponse(error, headers)
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

function checkQuery(search: string, payload: Payload, language: string) {
  if (!search) return
  for (const pair of search.split('&')) {
    const [rawKey, ...rest] = pair.split('=')
    const key = decodeStrict(rawKey.replace(/\+/g, ' '), language)
    const value = decodeStrict(rest.join('=').replace(/\+/g, ' '), language)
    assertNoNul(key, language)
    assertNoNul(value, language)
    if (key === 'page' || key === 'limit' || key === 'depth') assertPaging(key, value, language, payload.config.maxDepth)
  }
}

const isGetOverride = (request: Request) =>
  request.headers.get('x-payload-http-method-override') === 'GET' || request.headers.get('x-http-method-override') === 'GET'

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
    if (versions && !payload.collections[slug].config.versions) throw new AppError('request.no_versions', 404, language, { collection: slug })
    if (params.id === undefined) return
    const numeric = versions || (payload.collections[slug].customIDType ?? payload.db.defaultIDType) === 'number'
    if (numeric) assertSerialId(params.id, language)
    return
  }
}

type CheckedBody = { bytes: Uint8Array; contentType?: string; json?: Record<string, unknown> }

async function checkBody(request: Request, upload: boolean, override: boolean, payload: Payload, language: string): Promise<CheckedBody> {
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  const multipart = contentType === 'multipart/form-data'
  const bytes = await readLimitedBody(request, multipart && upload ? BODY_LIMITS.upload : BODY_LIMITS.json, language)
  if (bytes.byteLength === 0) return { bytes }
  if (contentType === 'application/json') {
    const json = parseJsonObject(decodeUtf8(bytes, language), language)
    return { bytes, contentType: 'application/json', json }
  }
  if (multipart) {
    await checkMultipart(request, bytes, language)
    return { bytes }
  }
  if (override && contentType === 'application/x-www-form-urlencoded') {
    checkQuery(decodeUtf8(bytes, language), payload, language)
    return { bytes, contentType: 'application/x-www-form-urlencoded' }
  }
  throw new AppError('request.unsupported_type', 415, language)
}

function decodeUtf8(bytes: Uint8Array, language: string): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new AppError('request.bad_json', 400, language, { details: 'not UTF-8' })
  }
}

/** Payload parses the admin's `_payload` field with a bare JSON.parse: check it here. */
async function checkMultipart(request: Request, bytes: Uint8Array, language: string) {
  let form: FormData
  try {
    form = await new Request(request.url, { method: 'POST', headers: { 'content-type': request.headers.get('content-type')! }, body: bytes }).formData()
  } catch {
    throw new AppError('request.invalid', 400, language, { details: 'multipart/form-data' })
  }
  const data = form.get('_payload')
  if (data === null) return
  if (typeof data !== 'string') throw new AppError('request.bad_json', 400, language, { details: '_payload' })
  parseJsonObject(data, language)
}
