import * as restRoute from '../../src/app/(payload)/api/[...slug]/route'
import * as graphqlRoute from '../../src/app/(payload)/api/graphql/route'

/**
 * Raw HTTP against /api exactly as Next mounts it: the route files' exports (Payload's handlers
 * behind our guard), with any method, body, content type and header, including broken ones.
 */
export type RawRequest = {
  method: string
  path: string
  body?: BodyInit | null
  headers?: Record<string, string>
}

const REST_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'] as const

/** Next's catch-all params are the decoded path segments (left raw when not decodable). */
function slugOf(pathname: string): string[] {
  return pathname
    .replace(/^\/api\/?/, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
}

export async function send({ method, path, body, headers = {} }: RawRequest): Promise<Response> {
  const url = new URL(`http://localhost:3000/api${path}`)
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body: body ?? undefined }
  if (body instanceof ReadableStream) init.duplex = 'half'
  const request = new Request(url, init)
  if (url.pathname === '/api/graphql') {
    if (method === 'POST') return graphqlRoute.POST(request)
    if (method === 'OPTIONS') return graphqlRoute.OPTIONS(request, { params: Promise.resolve({ slug: ['graphql'] }) })
    return new Response(null, { status: 405 })
  }
  const upper = method.toUpperCase() as (typeof REST_METHODS)[number]
  const handler = REST_METHODS.includes(upper) ? restRoute[upper] : undefined
  if (!handler) return new Response(null, { status: 405 })
  return handler(request, { params: Promise.resolve({ slug: slugOf(url.pathname) }) })
}

export async function sendJson(request: RawRequest): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await send(request)
  const text = await response.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = text
  }
  return { status: response.status, headers: response.headers, json }
}

/** A body streamed in chunks, without Content-Length, that counts how much of it was pulled. */
export function countedStream(total: number, chunk = 1024 * 1024, fill = 0x61) {
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close()
      const size = Math.min(chunk, total - pulled)
      pulled += size
      controller.enqueue(new Uint8Array(size).fill(fill))
    },
  })
  return { stream, pulled: () => pulled }
}
