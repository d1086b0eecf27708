import config from '@payload-config'
import { getPayload } from 'payload'

import { checkHealth } from '../../../lib/health'

export const dynamic = 'force-dynamic'

/** Liveness and readiness in one: 200 only when the database and Redis answer. */
export async function GET() {
  const payload = await getPayload({ config })
  const report = await checkHealth(payload)
  return Response.json(report, { status: report.ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } })
}
