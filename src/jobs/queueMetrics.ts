import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { Gauge } from 'prom-client'

import { metrics } from '../lib/telemetry'
import { countJobs } from './inspect'
import { queueObject } from './queue'

const REGISTERED = Symbol.for('postforge.jobs.queueGauges')

/**
 * Queue depth by state and the age of the oldest job that is due and waiting, read from
 * graphile-worker's tables at each scrape (web and worker alike register them).
 */
export function registerQueueGauges(payload: Payload): void {
  const holder = globalThis as Record<symbol, boolean | undefined>
  if (holder[REGISTERED]) return
  holder[REGISTERED] = true
  const { registry } = metrics()
  new Gauge({
    name: 'postforge_queue_depth',
    help: 'Jobs by state: queued (waiting), running, stuck (held by a dead worker), failed (for good).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await countJobs(payload).catch(() => null)
      this.reset()
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n)
    },
  })
  new Gauge({
    name: 'postforge_queue_oldest_due_seconds',
    help: 'Seconds the oldest due job has been waiting to be picked up (0: none waiting).',
    registers: [registry],
    async collect() {
      const result = await payload.db.drizzle
        .execute(sql`select coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as age
          from ${sql.raw(queueObject('jobs'))} where locked_at is null and attempts < max_attempts and run_at <= now()`)
        .catch(() => null)
      this.set(result ? Math.max(0, Number((result.rows[0] as { age: number }).age)) : 0)
    },
  })
}
