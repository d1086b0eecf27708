import { randomBytes } from 'node:crypto'

import * as Sentry from '@sentry/node'
import { trace } from '@opentelemetry/api'

import { releaseName, environmentName } from './release'
import { scrubEvent } from './scrub'

/**
 * Error tracking: Sentry when SENTRY_DSN is set, nothing otherwise. One place decides the
 * options for every process (web through @sentry/nextjs, worker and polling bot through
 * @sentry/node): release, environment, the scrubber as beforeSend, and no OpenTelemetry set-up of
 * Sentry's own (tracing is ours: ./tracing.ts), so the two never fight over the global provider.
 *
 * One error is one event: errors are reported where they are handled (`reportError`, with the
 * update, job or request id and the account id as tags), Sentry marks a reported error object
 * and ignores it when it is captured again (an uncaught rethrow, Next's onRequestError), the
 * dedupe integration drops an identical event sent twice in a row, and the logger is never a
 * source of events (no pino integration).
 */
export type Face = 'web' | 'worker' | 'bot'

type State = { on: boolean }
const STATE = Symbol.for('postforge.telemetry.errors')
const state = ((globalThis as Record<symbol, State>)[STATE] ??= { on: false })

/** A reported error remembers its reference, so a second report returns the same one. */
const REFERENCE = Symbol.for('postforge.telemetry.reference')

export function errorTrackingOn(): boolean {
  return state.on
}

/** Sentry's options for a face, or null when SENTRY_DSN is not set (tracking stays off). */
export function sentryOptions(face: Face, dsn = process.env.SENTRY_DSN): Sentry.NodeOptions | null {
  if (!dsn) return null
  return {
    dsn,
    release: releaseName(),
    environment: environmentName(),
    // Traces go to the OpenTelemetry collector (./tracing.ts), not to Sentry.
    enableOpenTelemetrySetup: false,
    tracesSampleRate: undefined,
    // Collect nothing personal in the first place; beforeSend scrubs what is left.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      genAI: { inputs: false, outputs: false },
      databaseQueryData: false,
    },
    // Our own reports carry the context; a console line or a request is never turned into one.
    integrations: (defaults) => [
      ...defaults.filter((i) => !['Console', 'Http', 'NodeFetch', 'ContextLines', 'LocalVariables', 'Modules'].includes(i.name)),
      Sentry.dedupeIntegration(),
    ],
    initialScope: { tags: { face } },
    beforeSend: (event) => withTrace(scrubEvent(event as unknown as Record<string, unknown>)) as unknown as typeof event,
    beforeBreadcrumb: (breadcrumb) => (breadcrumb.category === 'console' ? null : breadcrumb),
  }
}

/** The OpenTelemetry trace the error happened in, so an event links to its trace. */
function withTrace(event: { contexts?: Record<string, unknown> } & Record<string, unknown>) {
  const span = trace.getActiveSpan()
  const context = span?.spanContext()
  if (context && trace.isSpanContextValid(context)) {
    event.contexts = { ...event.contexts, trace: { ...(event.contexts?.trace as object), trace_id: context.traceId, span_id: context.spanId } }
  }
  return event
}

/**
 * Starts @sentry/node for the worker or the polling bot. The web app calls @sentry/nextjs's init
 * with `sentryOptions('web')` itself (src/instrumentation.ts) and then `markErrorTrackingOn()`.
 */
export function initErrorTracking(face: Face): boolean {
  if (state.on) return true
  const options = sentryOptions(face)
  if (!options) return false
  Sentry.init(options)
  state.on = true
  return true
}

export function markErrorTrackingOn(): void {
  state.on = true
}

export type ErrorTags = {
  update_id?: number | string
  job_id?: number | string
  task?: string
  request_id?: string
  route?: string
  [key: string]: number | string | undefined
}

/**
 * Reports an unexpected error once, with its tags and the account id (never more of the account),
 * and returns the short reference a customer or the logs can quote: the first 8 characters of the
 * Sentry event id when tracking is on (the full id is the `ref` tag's prefix in Sentry), a random
 * one otherwise.
 */
export function reportError(error: unknown, context: { tags?: ErrorTags; accountId?: number | string | null } = {}): string {
  const marked = error !== null && typeof error === 'object' ? (error as Record<symbol, string | undefined>) : undefined
  const known = marked?.[REFERENCE]
  if (known) return known
  const eventId = randomBytes(16).toString('hex')
  const reference = eventId.slice(0, 8)
  if (marked) {
    try {
      Object.defineProperty(marked, REFERENCE, { value: reference, enumerable: false })
    } catch {
      // A frozen object: it may be reported twice, Sentry's own mark still catches it.
    }
  }
  if (!state.on) return reference
  const tags: Record<string, string> = { ref: reference }
  for (const [key, value] of Object.entries(context.tags ?? {})) if (value !== undefined) tags[key] = String(value)
  if (context.accountId !== undefined && context.accountId !== null) tags.account_id = String(context.accountId)
  // The trace the error happened in, taken now (the send is later): staff jump from the event to it.
  const active = trace.getActiveSpan()?.spanContext()
  if (active && trace.isSpanContextValid(active)) tags.trace_id = active.traceId
  const exception = error instanceof Error ? error : new Error(typeof error === 'string' ? error : 'non-error thrown')
  Sentry.withScope((scope) => {
    scope.setTags(tags)
    if (context.accountId !== undefined && context.accountId !== null) scope.setUser({ id: String(context.accountId) })
    scope.captureException(exception, { event_id: eventId, originalException: exception })
  })
  return reference
}

/** Waits for queued events to be sent (before a process exits; tests). */
export async function flushErrors(timeoutMs = 2_000): Promise<void> {
  if (state.on) await Sentry.flush(timeoutMs)
}
