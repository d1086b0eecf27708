import { AppError } from './errors'

/** Body limits per kind of route, in bytes. */
export const BODY_LIMITS = {
  webhook: 1024 * 1024,
  json: 2 * 1024 * 1024,
  graphql: 256 * 1024,
  upload: 20 * 1024 * 1024,
} as const

const megabytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`

export const tooLarge = (limit: number, language: string) =>
  new AppError('request.too_large', 413, language, { limit: megabytes(limit) })

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is
 * refused before a byte is read; a chunked body is counted as it streams and the read is
 * cancelled at the first byte over, so a hostile client never makes the process hold more than
 * the limit.
 */
export async function readLimitedBody(request: Request, limit: number, language: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get('content-length')
  if (declared !== null && !/^\d+$/.test(declared)) throw new AppError('request.invalid', 400, language, { details: 'Content-Length' })
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => undefined)
    throw tooLarge(limit, language)
  }
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(limit, language)
    }
    chunks.push(value)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

/** The same request with its body already read (handlers downstream read it again). */
export function withBody(request: Request, body: Uint8Array<ArrayBuffer>, contentType?: string): Request {
  const headers = new Headers(request.headers)
  headers.delete('content-length')
  headers.delete('transfer-encoding')
  if (contentType) headers.set('content-type', contentType)
  return new Request(request.url, {
    method: request.method,
    headers,
    body: body.byteLength > 0 ? body : undefined,
    signal: request.signal,
  })
}
