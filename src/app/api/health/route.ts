import config from '@payload-config'
import { getPayload } from 'payload'

import { checkHealth } from '../../../lib/health'

export const dynamic = 'force-dynamic'

/**
 * 200 when the database and Redis answer. `?require=worker` also demands proof that the worker
 * consumed a job in the last few minutes, for the worker's own liveness probe.
 */
export async function GET(request: Request) {
  const payload = await getPayload({ config })
  const report = await checkHealth(payload)
  const requireWorker = new URL(request.url).searchParams.get('require') === 'worker'
  const ok = report.ok && (!requireWorker || report.checks.worker.ok)
  return Response.json({ ...report, ok }, { status: ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } })
}
