import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'

import { env } from '../lib/env'
import { isPrivateAddress, isPrivateAddressRefusal, publicOnlyLookup } from '../lib/safeNet'

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

/**
 * GET of a public web page for the server: http(s) only; the name is resolved and every address
 * checked at connect time (so a DNS answer cannot swap in a private one after the check);
 * redirects re-checked; a size and a time limit. Private addresses only with FETCH_ALLOW_PRIVATE
 * (tests).
 */
export async function fetchPublicPage(rawUrl: string, redirectsLeft = 3): Promise<FetchedPage> {
  const { FETCH_MAX_BYTES, FETCH_TIMEOUT_MS, FETCH_ALLOW_PRIVATE } = env()
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw new FetchRefused('scheme', `not a URL: ${rawUrl.slice(0, 100)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchRefused('scheme', `only http(s) pages are read, not ${url.protocol}`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) && isPrivateAddress(host) && !FETCH_ALLOW_PRIVATE) throw new FetchRefused('private_address', `${host} is a private address`)

  return new Promise<FetchedPage>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const request = client.get(url, { lookup: publicOnlyLookup(FETCH_ALLOW_PRIVATE) as never, headers: { 'User-Agent': 'PostforgeBot/1.0 (+brief builder)', Accept: 'text/html,text/plain;q=0.9' } }, (response) => {
      const status = response.statusCode ?? 0
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume()
        clearTimeout(timer)
        if (redirectsLeft <= 0) return reject(new FetchRefused('redirects', 'too many redirects'))
        return resolve(fetchPublicPage(new URL(response.headers.location, url).toString(), redirectsLeft - 1))
      }
      if (status !== 200) {
        response.resume()
        clearTimeout(timer)
        return reject(new FetchRefused('status', `the page answered ${status}`))
      }
      const contentType = String(response.headers['content-type'] ?? '')
      if (!/text\/html|text\/plain|application\/xhtml/i.test(contentType)) {
        response.destroy()
        clearTimeout(timer)
        return reject(new FetchRefused('type', `not a web page (${contentType || 'no content type'})`))
      }
      const declared = Number(response.headers['content-length'] ?? 0)
      if (declared > FETCH_MAX_BYTES) {
        response.destroy()
        clearTimeout(timer)
        return reject(new FetchRefused('too_large', `the page is larger than ${FETCH_MAX_BYTES} bytes`))
      }
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > FETCH_MAX_BYTES) {
          response.destroy()
          clearTimeout(timer)
          reject(new FetchRefused('too_large', `the page is larger than ${FETCH_MAX_BYTES} bytes`))
          return
        }
        chunks.push(chunk)
      })
      response.on('end', () => {
        clearTimeout(timer)
        resolve({ url: url.toString(), contentType, body: Buffer.concat(chunks).toString('utf8') })
      })
      response.on('error', (error) => reject(new FetchRefused('network', error.message)))
    })
    const timer = setTimeout(() => {
      request.destroy()
      reject(new FetchRefused('timeout', `no complete answer within ${FETCH_TIMEOUT_MS} ms`))
    }, FETCH_TIMEOUT_MS)
    request.on('error', (error) => {
      clearTimeout(timer)
      if (isPrivateAddressRefusal(error)) return reject(new FetchRefused('private_address', error.message))
      reject(error instanceof FetchRefused ? error : new FetchRefused('network', error.message))
    })
  })
}
