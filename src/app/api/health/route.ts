import config from '@payload-config'
import { getPayload, type Payload } from 'payload'

import { checkHealth, HEALTH_CHECK_TIMEOUT_MS } from '../../../ops/health'
import { logger } from '../../../lib/logger'

export const dynamic = 'force-dynamic'

/**
 * 200 when the database and Redis answer, 503 naming what is down otherwise, within about a second
 * either way. `?require=worker` also demands proof that the worker consumed a job in the last few
 * minutes, for the worker's own liveness probe.
 */
export async function GET(request: Request) {
  const report = await checkHealth(await startedPayload())
  const requireWorker = new URL(request.url).searchParams.get('require') === 'worker'
  const down = requireWorker && !report.checks.worker.ok ? [...report.down, 'worker'] : report.down
  const ok = down.length === 0
  return Response.json({ ...report, ok, down }, { status: ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } })
}

/** Payload, or null when it cannot start now (its database is unreachable): that is a 503, not a 500. */
async function startedPayload(): Promise<Payload | null> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      getPayload({ config }),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), HEALTH_CHECK_TIMEOUT_MS)
      }),
    ])
  } catch (error) {
    logger().warn({ err: error }, 'health: Payload could not start')
    return null
  } finally {
    clearTimeout(timer)
  }
}
