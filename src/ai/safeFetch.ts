import { env } from '../lib/env'
import { isPrivateAddressRefusal, publicFetch } from '../lib/safeNet'

export class FetchRefused extends Error {
  constructor(
    public readonly reason: 'scheme' | 'private_address' | 'too_large' | 'timeout' | 'status' | 'type' | 'redirects' | 'network',
    message: string,
  ) {
    super(message)
    this.name = 'FetchRefused'
  }
}

export type FetchedPage = { url: string; contentType: string; body: string }

const HEADERS = { 'User-Agent': 'PostforgeBot/1.0 (+brief builder)', Accept: 'text/html,text/plain;q=0.9' }

/**
 * GET of a public web page for the server, through the public-only fetch (src/lib/safeNet.ts):
 * http(s) only, every address checked when connecting, at most 3 redirects (each checked the same
 * way), a size and a time limit for the whole read. Private addresses only with
 * FETCH_ALLOW_PRIVATE (tests).
 */
export async function fetchPublicPage(rawUrl: string): Promise<FetchedPage> {
  const { FETCH_MAX_BYTES, FETCH_TIMEOUT_MS, FETCH_ALLOW_PRIVATE } = env()
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS)
  let url = parseUrl(rawUrl)
  try {
    for (let redirectsLeft = 3; ; redirectsLeft--) {
      const response = await publicFetch(url, { headers: HEADERS, redirect: 'manual', signal }, FETCH_ALLOW_PRIVATE)
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        if (redirectsLeft <= 0) throw new FetchRefused('redirects', 'too many redirects')
        url = parseUrl(new URL(location, url).toString())
        continue
      }
      if (response.status !== 200) {
        await response.body?.cancel()
        throw new FetchRefused('status', `the page answered ${response.status}`)
      }
      const contentType = response.headers.get('content-type') ?? ''
      if (!/text\/html|text\/plain|application\/xhtml/i.test(contentType)) {
        await response.body?.cancel()
        throw new FetchRefused('type', `not a web page (${contentType || 'no content type'})`)
      }
      return { url: url.toString(), contentType, body: await readLimited(response, FETCH_MAX_BYTES) }
    }
  } catch (error) {
    if (error instanceof FetchRefused) throw error
    if (isPrivateAddressRefusal(error)) throw new FetchRefused('private_address', causeMessage(error))
    if (signal.aborted) throw new FetchRefused('timeout', `no complete answer within ${FETCH_TIMEOUT_MS} ms`)
    throw new FetchRefused('network', causeMessage(error))
  }
}

function parseUrl(rawUrl: string): URL {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw new FetchRefused('scheme', `not a URL: ${rawUrl.slice(0, 100)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchRefused('scheme', `only http(s) pages are read, not ${url.protocol}`)
  return url
}

/** The body as text, refused once it passes `maxBytes` (declared or counted as it arrives). */
async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new FetchRefused('too_large', `the page is larger than ${maxBytes} bytes`)
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel()
    throw tooLarge()
  }
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = response.body?.getReader()
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    size += read.value.length
    if (size > maxBytes) {
      await reader!.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(read.value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** fetch's own message is "fetch failed"; the reason is in its cause. */
function causeMessage(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause
  if (cause instanceof Error) return cause.message
  return error instanceof Error ? error.message : String(error)
}
