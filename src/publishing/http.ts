import { env } from '../lib/env'
import { isPrivateAddressRefusal, publicFetch } from '../lib/safeNet'
import { SpanKind, withSpan } from '../lib/telemetry/tracing'
import { PublishError } from './connector'

/** A platform's answer, body read once as text and parsed as JSON where it is JSON. */
export type HttpAnswer = { status: number; headers: Headers; text: string; json: unknown }

export type HttpOptions = {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'
  headers?: Record<string, string>
  body?: BodyInit
  /**
   * The call creates something remotely. If it was sent and no answer came back (timeout,
   * connection reset), its outcome is unknown: 'unconfirmed', never a blind retry.
   */
  mutation?: boolean
  timeoutMs?: number
  /**
   * The host came from a customer (a WordPress site): connect only to public addresses, redirects
   * included, so a connection cannot be pointed at our own network (FETCH_ALLOW_PRIVATE lifts it
   * for tests).
   */
  publicOnly?: boolean
}

/** Errors that mean the request never left this machine, so nothing can have happened remotely. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

function causeCodes(error: unknown): string[] {
  const codes: string[] = []
  let current: unknown = error
  for (let depth = 0; current && depth < 4; depth++) {
    const c = current as { code?: unknown; errors?: unknown[]; cause?: unknown }
    if (typeof c.code === 'string') codes.push(c.code)
    for (const inner of c.errors ?? []) {
      const code = (inner as { code?: unknown }).code
      if (typeof code === 'string') codes.push(code)
    }
    current = c.cause
  }
  return codes
}

/** Was the request certainly not delivered (a refused connection, an unknown host)? */
function neverSent(error: unknown): boolean {
  const codes = causeCodes(error)
  return codes.length > 0 && codes.every((code) => NOT_SENT.has(code))
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * One HTTP call to a platform with the publishing timeout. A failure to get an answer becomes a
 * PublishError: 'retry' when the request cannot have arrived (or was only a read), 'unconfirmed'
 * when a mutation may have arrived. HTTP error statuses are returned, not thrown: each
 * connector knows its platform's error bodies.
 */
export async function httpCall(platform: string, url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? env().PUBLISH_HTTP_TIMEOUT_MS
  let response: Response
  let text: string
  try {
    const init = {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(timeoutMs),
    }
    // Observability (O6): one span per platform HTTP call (method and host, never the path or
    // query, which can carry tokens), a child of the publish span.
    const answered = await withSpan(
      `${platform} ${init.method}`,
      { 'postforge.platform': platform, 'http.request.method': init.method, 'server.address': hostOf(url) },
      async (span) => {
        const got = options.publicOnly ? await publicFetch(url, init, env().FETCH_ALLOW_PRIVATE) : await fetch(url, init)
        span.setAttribute('http.response.status_code', got.status)
        return { got, body: await got.text() }
      },
      { kind: SpanKind.CLIENT },
    )
    response = answered.got
    text = answered.body
  } catch (error) {
    if (isPrivateAddressRefusal(error))
      throw new PublishError('bad_request', `${platform}.private_address`, describe(error))
    const what = error instanceof Error && error.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : describe(error)
    if (options.mutation && !neverSent(error)) throw new PublishError('unconfirmed', `${platform}.no_answer`, what)
    throw new PublishError('retry', `${platform}.unreachable`, what)
  }
  let json: unknown = undefined
  if (text && /json/i.test(response.headers.get('content-type') ?? '')) {
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
  }
  return { status: response.status, headers: response.headers, text, json }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid'
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const codes = causeCodes(error)
  return codes.length ? `${error.message} (${codes.join(', ')})` : error.message
}

/**
 * The statuses every platform shares: 429 and 5xx are worth another try (honouring
 * Retry-After), 401 means the access is gone. A 504 after a mutation was sent is unknown: the
 * gateway gave up, the platform may still have made the post.
 */
export function statusFailure(platform: string, answer: HttpAnswer, detail: string, mutation = false): PublishError | undefined {
  const wait = retryAfterMs(answer.headers)
  if (answer.status === 429) return new PublishError('retry', `${platform}.rate_limited`, detail, wait ?? 60_000)
  if (answer.status === 504 && mutation) return new PublishError('unconfirmed', `${platform}.no_answer`, detail)
  if (answer.status >= 500) return new PublishError('retry', `${platform}.unavailable`, detail, wait)
  if (answer.status === 401) return new PublishError('reauth', `${platform}.unauthorized`, detail)
  return undefined
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

export { trimSlash } from '../lib/text'
