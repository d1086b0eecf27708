import { timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'

import { METRICS_CONTENT_TYPE } from './metrics'

/** Exactly `Bearer <token>`, compared in constant time; never with no token configured. */
export function bearerMatches(header: string | null | undefined, token: string | undefined): boolean {
  if (!token) return false
  const given = Buffer.from(header ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * A process's metrics on a port of its own (the worker): GET /metrics (or /) with the metrics
 * token, 401 without it, 404 for anything else. Resolves once listening, with the bound port.
 */
export async function serveMetrics(options: {
  port: number
  host?: string
  token: string | undefined
  render: () => Promise<string>
  onError?: (error: unknown) => void
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n')
      return
    }
    if (!bearerMatches(request.headers.authorization, options.token)) {
      response.writeHead(401, { 'Content-Type': 'text/plain' }).end('unauthorised\n')
      return
    }
    options.render().then(
      (text) => response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }).end(text),
      (error: unknown) => {
        options.onError?.(error)
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n')
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  return { server, port, close: () => new Promise((resolve) => server.close(() => resolve())) }
}
