import { metrics, secondsSince } from './metrics'

/**
 * A route handler timed into postforge_http_request_duration_seconds{route,method,status}: the
 * route is the handler's template (`/api/[...slug]`, `/api/graphql`), never the raw path, so the
 * series stay few; the status is its class (2xx, 4xx, 5xx; `error` when the handler threw). A 429
 * also counts in postforge_rate_limited_total{limiter="http <route>"}.
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
      // A 429 is a rate-limit refusal (sign-in limits, GraphQL's per-client share): counted by route.
      if (response.status === 429) metrics().rateLimited.inc({ limiter: `http ${route}` })
      return response
    } finally {
      metrics().httpDuration.observe({ route, method: request.method, status }, secondsSince(started))
    }
  }
}
