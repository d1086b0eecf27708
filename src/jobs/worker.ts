import { Logger as GraphileLogger, parseCronItems, run } from 'graphile-worker'
import { getPayload, type Payload } from 'payload'

import { bootOrExit } from '../lib/boot'
import { logger } from '../lib/logger'
import { closeRedis } from '../lib/redis'
import { seedPrompts } from '../ai/prompts'
import { buildAiTaskList, buildTaskList, cronItems } from './taskList'

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
  parsedCronItems: parseCronItems(cronItems()),
  logger: graphileLogger,
  preset: { worker: { localQueue: { size: settings.WORKER_CONCURRENCY * 4 }, completeJobBatchDelay: 0, pollInterval: 1000 } },
})
// AI generation in a pool of its own: an article takes minutes and must not hold up a publication
// due now. On SIGTERM graphile-worker stops both pools; 5 s later a model call still running is
// aborted and its job retried later, resuming after the sections already saved.
const aiRunner = await run({
  connectionString: settings.DATABASE_URL,
  concurrency: settings.WORKER_AI_CONCURRENCY,
  maxPoolSize: settings.WORKER_AI_CONCURRENCY + 2,
  taskList: buildAiTaskList(sharedPayload),
  logger: graphileLogger,
  preset: { worker: { completeJobBatchDelay: 0, pollInterval: 1000 } },
})
await sharedPayload()
await seedPrompts(await sharedPayload()).then(
  (created) => created > 0 && log.info({ created }, 'prompt templates seeded'),
  (error: Error) => log.error({ err: error.message }, 'prompt templates not seeded'),
)
log.info({ concurrency: settings.WORKER_CONCURRENCY, aiConcurrency: settings.WORKER_AI_CONCURRENCY }, 'worker started')

await Promise.all([runner.promise, aiRunner.promise])
await closeRedis()
await (await sharedPayload()).destroy()
log.info('worker stopped')
process.exit(0)
