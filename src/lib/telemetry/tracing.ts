import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'

import { scrubText } from './scrub'

/**
 * Spans and trace context through the OpenTelemetry API (no SDK here: ./tracingSdk.ts registers
 * the provider). Traces: OpenTelemetry exported over OTLP/HTTP (JSON) to any collector (SigNoz, Jaeger, Tempo)
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set. Each process registers one tracer provider of its
 * own; Sentry is told not to build its OpenTelemetry set-up (./errors.ts), so spans reach the
 * collector whether error tracking is on or off. Without an endpoint nothing is registered and
 * every span below is a no-op.
 *
 * One customer action is one trace: the webhook's update span is the parent of the jobs it queues
 * (the W3C `traceparent` travels in the job's payload, put there by addJob) and the job's span is
 * the parent of the platform call.
 */
const w3c = new W3CTraceContextPropagator()

const tracer = () => trace.getTracer('postforge')

/**
 * Runs `work` inside a span: an error marks the span and is rethrown. `parent` (a W3C
 * traceparent) continues a trace from elsewhere (a job's payload).
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  options: { parent?: string; kind?: SpanKind } = {},
): Promise<T> {
  const parentContext = options.parent ? contextFromTraceparent(options.parent) : context.active()
  return tracer().startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parentContext, async (span) => {
    try {
      return await work(span)
    } catch (error) {
      // The message is scrubbed like an error report: it leaves the machine too.
      span.recordException(error instanceof Error ? { name: error.name, message: scrubText(error.message) } : 'error')
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' })
      throw error
    } finally {
      span.end()
    }
  })
}

/** The active span's W3C traceparent, for a job queued now; undefined outside any trace. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {}
  w3c.inject(context.active(), carrier, defaultTextMapSetter)
  return carrier.traceparent
}

function contextFromTraceparent(traceparent: string): Context {
  return w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter)
}

/** The active span's trace id (for log lines and error reports), if any. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext()
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined
}

export { SpanKind }
