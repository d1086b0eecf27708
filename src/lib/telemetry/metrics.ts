import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The process's Prometheus metrics (prom-client), one registry per process: the web app serves it
 * at /api/metrics, the worker on WORKER_METRICS_PORT, both behind METRICS_TOKEN. With several web
 * processes each is scraped on its own (Prometheus adds them up); nothing is shared between them
 * except the webhook latency rollup in Redis (./webhookStats.ts), which the admin reads.
 *
 * Kept on globalThis: Next compiles instrumentation and route handlers separately, and they must
 * count into the same registry.
 */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900]

type PoolLike = { totalCount: number; idleCount: number; waitingCount: number }

function build() {
  const registry = new Registry()
  const pools = new Map<string, PoolLike>()
  collectDefaultMetrics({ register: registry })
  const m = {
    registry,
    pools,
    httpDuration: new Histogram({
      name: 'postforge_http_request_duration_seconds',
      help: 'HTTP requests served, by route, method and status class.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'postforge_webhook_duration_seconds',
      help: 'Telegram webhook requests from arrival to answer, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    updates: new Counter({
      name: 'postforge_bot_updates_total',
      help: 'Telegram updates by type and outcome (ok, duplicate, error, unavailable, late).',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    botErrors: new Counter({
      name: 'postforge_bot_errors_total',
      help: 'Unexpected errors while handling an update (the customer got an apology).',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'postforge_rate_limited_total',
      help: 'Requests refused by a rate limit, by limiter.',
      labelNames: ['limiter'] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'postforge_jobs_total',
      help: 'Jobs run, by task and outcome (ok, retry, failed, released).',
      labelNames: ['task', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'postforge_job_duration_seconds',
      help: 'Job run time by task and outcome.',
      labelNames: ['task', 'outcome'] as const,
      buckets: JOB_BUCKETS,
      registers: [registry],
    }),
    aiCalls: new Counter({
      name: 'postforge_ai_calls_total',
      help: 'Model calls by model, task and outcome.',
      labelNames: ['model', 'task', 'outcome'] as const,
      registers: [registry],
    }),
    aiTokens: new Counter({
      name: 'postforge_ai_tokens_total',
      help: 'Model tokens by model, task and direction (input, output).',
      labelNames: ['model', 'task', 'direction'] as const,
      registers: [registry],
    }),
    aiCost: new Counter({
      name: 'postforge_ai_cost_usd_total',
      help: 'Model spend in USD by model and task.',
      labelNames: ['model', 'task'] as const,
      registers: [registry],
    }),
    publications: new Counter({
      name: 'postforge_publications_total',
      help: 'Publish attempts by platform and result (published, retry, failed, unconfirmed, skipped).',
      labelNames: ['platform', 'status'] as const,
      registers: [registry],
    }),
  }
  new Gauge({
    name: 'postforge_db_pool_connections',
    help: 'Database pool connections by pool and state (total, idle, waiting: queries waiting for one).',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [name, pool] of pools) {
        this.set({ pool: name, state: 'total' }, pool.totalCount)
        this.set({ pool: name, state: 'idle' }, pool.idleCount)
        this.set({ pool: name, state: 'waiting' }, pool.waitingCount)
      }
    },
  })
  return m
}

export type Metrics = ReturnType<typeof build>

const KEY = Symbol.for('postforge.telemetry.metrics')

export function metrics(): Metrics {
  const holder = globalThis as Record<symbol, Metrics | undefined>
  return (holder[KEY] ??= build())
}

/** A pg Pool whose use is reported (postforge_db_pool_connections{pool=name}). */
export function watchPool(name: string, pool: PoolLike | undefined): void {
  if (pool) metrics().pools.set(name, pool)
}

/** Seconds since `started` (a performance.now() reading). */
export const secondsSince = (started: number) => (performance.now() - started) / 1000

/** Prometheus text of the registry plus extra, already rendered, lines (business gauges). */
export async function renderMetrics(extra = ''): Promise<string> {
  const text = await metrics().registry.metrics()
  return extra ? `${text.trimEnd()}\n${extra}` : text
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
