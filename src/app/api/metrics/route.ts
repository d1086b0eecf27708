import config from '@payload-config'
import { getPayload } from 'payload'

import { registerQueueGauges } from '../../../jobs/queueMetrics'
import { env } from '../../../lib/env'
import { bearerMatches, METRICS_CONTENT_TYPE, renderMetrics, watchPool } from '../../../lib/telemetry'
import { collectMetrics } from '../../../ops/metrics'

export const dynamic = 'force-dynamic'

/**
 * Prometheus metrics of this web process (prom-client's registry) followed by the business
 * figures read from the database; needs exactly `Authorization: Bearer $METRICS_TOKEN` (the whole
 * header compared in constant time; off when unset). Each web process answers for itself: scrape
 * every instance (Prometheus sums them); the webhook rollup the admin reads is shared in Redis.
 */
export async function GET(request: Request) {
  if (!bearerMatches(request.headers.get('authorization'), env().METRICS_TOKEN)) return new Response('unauthorised\n', { status: 401 })
  const payload = await getPayload({ config })
  watchPool('payload', payload.db.pool)
  registerQueueGauges(payload)
  return new Response(await renderMetrics(await collectMetrics(payload)), {
    headers: { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' },
  })
}
