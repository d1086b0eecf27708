import { timingSafeEqual } from 'node:crypto'

import config from '@payload-config'
import { getPayload } from 'payload'

import { env } from '../../../lib/env'
import { collectMetrics } from '../../../ops/metrics'

export const dynamic = 'force-dynamic'

/** Exactly `Bearer <token>`: the whole header is compared in constant time, so a bare token fails. */
function authorised(request: Request): boolean {
  const token = env().METRICS_TOKEN
  if (!token) return false
  const given = Buffer.from(request.headers.get('authorization') ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Prometheus metrics; needs `Authorization: Bearer $METRICS_TOKEN` (off when unset). */
export async function GET(request: Request) {
  if (!authorised(request)) return new Response('unauthorised\n', { status: 401 })
  const payload = await getPayload({ config })
  return new Response(await collectMetrics(payload), {
    headers: { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' },
  })
}
