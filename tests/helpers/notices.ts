import { Logger, runOnce } from 'graphile-worker'
import type { Payload } from 'payload'

import { env } from '../../src/lib/env'
import { noticeSendTask } from '../../src/jobs/tasks/noticeSend'

const quiet = new Logger(() => () => {})

/**
 * Runs the `notice.send` jobs waiting in this file's queue schema with the real task, as the worker
 * would (graphile-worker's runOnce, notice tasks only), until none is left. Notices are outbox
 * jobs now: a test that expects one delivers them first. Files using this set a
 * GRAPHILE_WORKER_SCHEMA of their own (tests/helpers/workerSchemas.ts), so no other file's worker
 * takes their notices.
 */
export async function deliverNotices(payload: Payload): Promise<void> {
  await runOnce({
    connectionString: env().DATABASE_URL,
    schema: env().GRAPHILE_WORKER_SCHEMA,
    taskList: Object.fromEntries([noticeSendTask(async () => payload)]),
    logger: quiet,
  })
}
