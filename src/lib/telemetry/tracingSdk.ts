import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'

import { environmentName, releaseName } from './release'

/**
 * The process's tracer provider (NodeTracerProvider: what the Node SDK builds, without its
 * env-driven extras), exporting over OTLP/HTTP JSON in batches. Registered globally with the
 * AsyncLocalStorage context manager and the W3C propagator, so Next's own spans join it too.
 */
const STATE = Symbol.for('postforge.telemetry.tracing')
type State = { provider?: NodeTracerProvider }
const state = ((globalThis as Record<symbol, State>)[STATE] ??= {})

/** `http://collector:4318` → `http://collector:4318/v1/traces` (as the OTLP spec builds it). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`
}

/** Registers the provider for this process; false when no endpoint is configured. */
export function startTracing(service: string, endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT): boolean {
  if (state.provider) return true
  if (!endpoint) return false
  const delay = Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 1000)
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? service,
      'service.version': releaseName(),
      'deployment.environment.name': environmentName(),
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint) }), {
        scheduledDelayMillis: Number.isFinite(delay) && delay > 0 ? delay : 1000,
      }),
    ],
  })
  provider.register()
  state.provider = provider
  return true
}

export function tracingOn(): boolean {
  return state.provider !== undefined
}

/** Sends the spans still buffered (before a process exits; tests). */
export async function flushTracing(): Promise<void> {
  await state.provider?.forceFlush()
}

export async function stopTracing(): Promise<void> {
  const provider = state.provider
  state.provider = undefined
  await provider?.shutdown()
}

