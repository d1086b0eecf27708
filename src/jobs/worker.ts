import { Logger as GraphileLogger, run } from 'graphile-worker'
import { getPayload, type Payload } from 'payload'

import { bootOrExit } from '../lib/boot'
import { logger } from '../lib/logger'
import { closeRedis } from '../lib/redis'
import { buildTaskList, CRONTAB } from './taskList'

/**
 * `npm run worker`: graphile-worker in its own process, with Payload's Local API for data.
 * SIGTERM/SIGINT finish running jobs before exit (graphile-worker's graceful shutdown).
 */
const settings = bootOrExit()
const { default: config } = await import('@payload-config')
const log = logger().child({ process: 'worker' })

let payloadPromise: Promise<Payload> | undefined
const sharedPayload = () => (payloadPromise ??= getPayload({ config }))

const graphileLogger = new GraphileLogger((scope) => (level, message, meta) => {
  const child = log.child({ scope: { label: scope.label, task: scope.taskIdentifier, job: scope.jobId } })
  if (level === 'error') child.error(meta ?? {}, message)
  else if (level === 'warning') child.warn(meta ?? {}, message)
  else child.debug(meta ?? {}, message)
})

const runner = await run({
  connectionString: settings.DATABASE_URL,
  concurrency: settings.WORKER_CONCURRENCY,
  maxPoolSize: settings.WORKER_CONCURRENCY + 2,
  taskList: buildTaskList(sharedPayload),
  crontab: CRONTAB,
  logger: graphileLogger,
  preset: { worker: { localQueue: { size: settings.WORKER_CONCURRENCY * 4 }, completeJobBatchDelay: 0, pollInterval: 1000 } },
})
await sharedPayload()
log.info({ concurrency: settings.WORKER_CONCURRENCY }, 'worker started')

await runner.promise
await closeRedis()
await (await sharedPayload()).destroy()
log.info('worker stopped')
process.exit(0)
