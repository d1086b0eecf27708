/**
 * Next runs this once per server process before it serves anything: whatever Next or a library
 * prints through the console is scrubbed of secrets like our own log lines; error tracking
 * (@sentry/nextjs) starts when SENTRY_DSN is set, and traces (OpenTelemetry over OTLP) when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Sentry does not build an OpenTelemetry set-up of its own
 * (src/lib/telemetry/errors.ts): ours registers the one tracer provider, so Next's own spans
 * (the request) and ours (the update, the job it queues) form one trace either way.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { scrubConsole } = await import('./lib/logger')
  scrubConsole()
  const { markErrorTrackingOn, sentryOptions, startTracing } = await import('./lib/telemetry')
  startTracing('postforge-web')
  const options = sentryOptions('web')
  if (options) {
    const Sentry = await import('@sentry/nextjs')
    Sentry.init(options)
    markErrorTrackingOn()
  }
  // Alerts (O7): who notices a dead worker? The web app: one process at a time, elected in Redis,
  // checks the worker's heartbeat and tells the staff chat (src/ops/alertWatchdog.ts).
  const { startAlertWatchdog } = await import('./ops/alertWatchdog')
  startAlertWatchdog()
}

/**
 * An error Next caught in a route, page or server action: reported once (an error we reported
 * already, the webhook's say, is recognised by Sentry and not sent again). Tags: the route.
 */
export async function onRequestError(
  error: unknown,
  request: { path: string; method: string; headers: Record<string, string | string[] | undefined> },
  context: { routerKind: string; routePath: string; routeType: string },
) {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { errorTrackingOn, reportError } = await import('./lib/telemetry')
  if (!errorTrackingOn()) return
  const requestId = request.headers['x-request-id']
  reportError(error, {
    tags: { route: context.routePath, method: request.method, request_id: typeof requestId === 'string' ? requestId : undefined },
  })
}
