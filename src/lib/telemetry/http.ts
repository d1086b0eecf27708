import { metrics, secondsSince } from './metrics'

/**
 * A route handler timed into postforge_http_request_duration_seconds{route,method,status}: the
 * route is the handler's template (`/api/[...slug]`, `/api/graphql`), never the raw path, so the
 * series stay few; the status is its class (2xx, 4xx, 5xx; `error` when the handler threw).
 */
export function timedRoute<A extends unknown[]>(
  route: string,
  handler: (request: Request, ...args: A) => Promise<Response>,
): (request: Request, ...args: A) => Promise<Response> {
  return async (request, ...args) => {
    const started = performance.now()
    let status = 'error'
    try {
      const response = await handler(request, ...args)
      status = `${Math.floor(response.status / 100)}xx`
      return response
    } finally {
      metrics().httpDuration.observe({ route, method: request.method, status }, secondsSince(started))
    }
  }
}
