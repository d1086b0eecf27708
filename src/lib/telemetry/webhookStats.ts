import type { Redis } from 'ioredis'

import { logger } from '../logger'
import { databaseScope, redis } from '../redis'

/**
 * The webhook's latency over the last day, shared by every web process: one Redis hash per
 * minute holding a count per latency bucket and the errors, kept 25 hours. The admin dashboard
 * reads p50/p99, the error rate and the hourly series from it (`webhookStats`); Prometheus has
 * the same figures per process (postforge_webhook_duration_seconds).
 */
export const WEBHOOK_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] as const
const TTL_SECONDS = 25 * 60 * 60
const MINUTE = 60_000

const keyOf = (minute: number) => `pf:webhook:${databaseScope()}:${minute}`

function bucketOf(ms: number): number {
  const index = WEBHOOK_BUCKETS_MS.findIndex((upper) => ms <= upper)
  return index === -1 ? WEBHOOK_BUCKETS_MS.length : index
}

/**
 * Counts one webhook request in its minute. Never throws: a lost sample must not fail an update
 * (Redis being down is reported elsewhere).
 */
export async function recordWebhook(ms: number, error: boolean, now = Date.now(), client: Redis = redis()): Promise<void> {
  const key = keyOf(Math.floor(now / MINUTE))
  try {
    const multi = client.multi().hincrby(key, `b${bucketOf(ms)}`, 1).hincrby(key, 'n', 1)
    if (error) multi.hincrby(key, 'e', 1)
    await multi.expire(key, TTL_SECONDS).exec()
  } catch (failure) {
    logger().debug({ err: failure }, 'webhook latency sample not recorded')
  }
}

/** Samples counted in this process, not yet in Redis: minute -> field -> count. */
const pending = new Map<number, Map<string, number>>()
let flushTimer: NodeJS.Timeout | undefined
const FLUSH_EVERY_MS = 1_000

/**
 * Counts one webhook request in its minute, written to Redis within a second together with the
 * other requests of that second: the webhook's hot path then costs no Redis call for the rollup.
 * At most a second of samples is lost if the process dies; never throws.
 */
export function recordWebhookSoon(ms: number, error: boolean, now = Date.now()): void {
  const minute = Math.floor(now / MINUTE)
  let fields = pending.get(minute)
  if (!fields) pending.set(minute, (fields = new Map()))
  const add = (field: string) => fields.set(field, (fields.get(field) ?? 0) + 1)
  add(`b${bucketOf(ms)}`)
  add('n')
  if (error) add('e')
  flushTimer ??= setTimeout(() => void flushWebhookSamples(), FLUSH_EVERY_MS).unref()
}

/** Writes the samples counted so far to the shared rollup (one MULTI); the timer calls it. */
export async function flushWebhookSamples(client?: Redis): Promise<void> {
  clearTimeout(flushTimer)
  flushTimer = undefined
  if (pending.size === 0) return
  const batch = [...pending]
  pending.clear()
  try {
    const multi = (client ?? redis()).multi()
    for (const [minute, fields] of batch) {
      const key = keyOf(minute)
      for (const [field, count] of fields) multi.hincrby(key, field, count)
      multi.expire(key, TTL_SECONDS)
    }
    await multi.exec()
  } catch (failure) {
    logger().debug({ err: failure }, 'webhook latency samples not recorded')
  }
}

export type WebhookHour = {
  /** The hour's start, ISO 8601 UTC. */
  hour: string
  count: number
  errors: number
  /** Null when the hour had no requests. */
  p50Ms: number | null
  p99Ms: number | null
}

export type WebhookStats = {
  /** Null when there were no requests in the window. */
  p50Ms: number | null
  p99Ms: number | null
  /** Errors / requests, 0..1 (0 when there were none). */
  errorRate: number
  count: number
  errors: number
  /** Oldest first, one entry per hour of the window (the current, partial hour last). */
  perHour: WebhookHour[]
}

/** The upper bound of the bucket holding the q-quantile (as Prometheus' histogram_quantile does, without interpolation). */
function quantile(buckets: number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (const [index, n] of buckets.entries()) {
    seen += n
    if (seen >= rank && n > 0) return index < WEBHOOK_BUCKETS_MS.length ? WEBHOOK_BUCKETS_MS[index] : WEBHOOK_BUCKETS_MS.at(-1)! * 2
  }
  return WEBHOOK_BUCKETS_MS.at(-1)! * 2
}

/**
 * The webhook over the last `hours` (1..25): p50/p99 in milliseconds (a bucket's upper bound:
 * 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000; 60000 for slower), the error
 * rate, the count, and the same per hour.
 */
export async function webhookStats(options: { hours: number; now?: number; client?: Redis }): Promise<WebhookStats> {
  const hours = Math.min(25, Math.max(1, Math.floor(options.hours)))
  const now = options.now ?? Date.now()
  const client = options.client ?? redis()
  const lastMinute = Math.floor(now / MINUTE)
  const firstHour = Math.floor(now / (60 * MINUTE)) - hours + 1
  const firstMinute = firstHour * 60
  const pipeline = client.pipeline()
  for (let minute = firstMinute; minute <= lastMinute; minute++) pipeline.hgetall(keyOf(minute))
  const answers = (await pipeline.exec()) ?? []
  const size = WEBHOOK_BUCKETS_MS.length + 1
  const empty = () => ({ buckets: new Array<number>(size).fill(0), count: 0, errors: 0 })
  const total = empty()
  const perHour = Array.from({ length: hours }, empty)
  answers.forEach(([error, value], offset) => {
    if (error || !value) return
    const hash = value as Record<string, string>
    const hour = perHour[Math.floor(offset / 60)]
    for (const [field, raw] of Object.entries(hash)) {
      const n = Number(raw) || 0
      if (field === 'n') (hour.count += n), (total.count += n)
      else if (field === 'e') (hour.errors += n), (total.errors += n)
      else if (field.startsWith('b')) {
        const index = Number(field.slice(1))
        if (index >= 0 && index < size) (hour.buckets[index] += n), (total.buckets[index] += n)
      }
    }
  })
  return {
    p50Ms: quantile(total.buckets, 0.5),
    p99Ms: quantile(total.buckets, 0.99),
    errorRate: total.count ? total.errors / total.count : 0,
    count: total.count,
    errors: total.errors,
    perHour: perHour.map((h, index) => ({
      hour: new Date((firstHour + index) * 60 * MINUTE).toISOString(),
      count: h.count,
      errors: h.errors,
      p50Ms: quantile(h.buckets, 0.5),
      p99Ms: quantile(h.buckets, 0.99),
    })),
  }
}
