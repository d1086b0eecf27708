import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { onRequestError, register } from '../../src/instrumentation'
import { reloadEnv } from '../../src/lib/env'
import { errorTrackingOn, flushErrors, flushTracing, tracingOn, withSpan } from '../../src/lib/telemetry'
import { startFakeOtlp, type FakeOtlp } from '../fakes/otlp'
import { startFakeSentry, type FakeSentry } from '../fakes/sentry'
import { waitFor } from '../helpers/wait'

/**
 * The web app's start-up as Next runs it (src/instrumentation.ts, Node runtime): @sentry/nextjs
 * and the OTLP tracer provider together. A route error Next reports is one scrubbed event tagged
 * with the route, and spans still reach the collector with Sentry on.
 */
const savedEnv = { ...process.env }
let sentry: FakeSentry
let otlp: FakeOtlp
const KEY = 'sk-live-web-0123456789abcdef0123'

beforeAll(async () => {
  sentry = await startFakeSentry('77')
  otlp = await startFakeOtlp()
  Object.assign(process.env, { NEXT_RUNTIME: 'nodejs', SENTRY_DSN: sentry.dsn, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100', AI_API_KEY: KEY })
  reloadEnv()
  await register()
})

afterAll(async () => {
  await sentry?.close()
  await otlp?.close()
  process.env = savedEnv
  reloadEnv()
})

describe('the web app with Sentry and OpenTelemetry both on', () => {
  it('a route error Next reports is one event with the route, scrubbed; a second report of it sends nothing', async () => {
    expect(errorTrackingOn()).toBe(true)
    expect(tracingOn()).toBe(true)
    const error = new Error(`provider said key ${KEY} is invalid for ivan@example.com`)
    const request = { path: '/api/projects?x=1', method: 'GET', headers: { authorization: `accounts API-Key ${KEY}`, cookie: 'payload-token=abc', 'x-request-id': 'req-42' } }
    const context = { routerKind: 'App Router', routePath: '/api/[...slug]', routeType: 'route' }
    await onRequestError(error, request, context)
    await onRequestError(error, request, context)
    await flushErrors()
    await waitFor(() => sentry.events().length > 0)
    // The second report sends nothing: a marker error reported after both, once it is in (the
    // transport sends in order), leaves nothing of them still on its way; a fixed pause would pass
    // whenever a second event was merely slower than the pause.
    await onRequestError(new Error('web marker'), { path: '/api/marker', method: 'GET', headers: {} }, context)
    await flushErrors()
    const ahead = await waitFor(() => {
      const at = sentry.events().findIndex((e) => e.exception?.values?.[0]?.value === 'web marker')
      return at >= 0 ? sentry.events().slice(0, at) : undefined
    })
    expect(ahead).toHaveLength(1)
    const [event] = sentry.events()
    expect(event.tags).toMatchObject({ route: '/api/[...slug]', request_id: 'req-42', face: 'web', method: 'GET' })
    const sent = sentry.envelopes.map((e) => e.raw).join('\n')
    for (const secret of [KEY, 'ivan@example.com', 'payload-token=abc']) expect(sent).not.toContain(secret)
    expect(sentry.envelopes[0].project).toBe('77')
  })

  it('an error reported inside a span names its trace, so staff can go from the event to the trace', async () => {
    const before = sentry.events().length
    let traceId = ''
    await withSpan('web.failing', {}, async (span) => {
      traceId = span.spanContext().traceId
      await onRequestError(new Error('inside a span'), { path: '/api/x', method: 'POST', headers: {} }, { routerKind: 'App Router', routePath: '/api/x', routeType: 'route' })
    })
    await flushErrors()
    const event = await waitFor(() => sentry.events().slice(before).find((e) => e.exception?.values?.[0]?.value === 'inside a span'))
    expect(event.tags?.trace_id).toBe(traceId)
    expect(event.contexts?.trace?.trace_id).toBe(traceId)
  })

  it('spans reach the OTLP collector with Sentry on', async () => {
    await withSpan('web.check', { 'check.id': 'w1' }, async () => undefined)
    await flushTracing()
    const span = await waitFor(() => otlp.spans.find((s) => s.name === 'web.check'))
    expect(span.service).toBe('postforge-web')
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
  })
})
