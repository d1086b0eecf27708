import { Logger as GraphileLogger, parseCronItems, run } from 'graphile-worker'
import { getPayload } from 'payload'

import { bootOrExit, surviveDatabaseRestarts } from '../lib/boot'
import { logger } from '../lib/logger'
import { closeRedis } from '../lib/redis'
import { flushErrors, initErrorTracking, renderMetrics, serveMetrics, startTracing, stopTracing, watchPool } from '../lib/telemetry'
import { seedPrompts } from '../ai/prompts'
import { WorkerRegistration } from './liveness'
import { registerQueueGauges } from './queueMetrics'
import { releaseStoppedPool, startRecoveryLoop } from './recovery'
import { SupervisedRunner } from './supervisor'
import { buildAiTaskList, buildTaskList, CRONTAB } from './taskList'

/**
 * `npm run worker`: graphile-worker in its own process, with Payload's Local API for data.
 *
 * Crash-safe by design: every pool is entered in the worker registry before it takes a job and
 * the process reports every few seconds; any worker that sees another fall silent releases its
 * jobs and publish slots and settles its in-flight publications (src/jobs/recovery.ts). Runners
 * that stop by themselves (PostgreSQL restarting) are started again, and lost connections are
 * survived. SIGTERM/SIGINT: no new jobs, publish calls in flight finish, AI calls are aborted
 * after a short grace and their jobs released at once to resume elsewhere; a second signal
 * stops at once.
 */
// Signals are handled from the first moment: a stop while booting holds nothing and exits at once.
let stopping = false
let shutdown = async (_signal: NodeJS.Signals) => {
  process.exit(0)
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (s) => void shutdown(s))

const settings = bootOrExit()
// Observability (O6): errors to Sentry when SENTRY_DSN is set, spans over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, before anything else runs.
initErrorTracking('worker')
startTracing('postforge-worker')
const { default: config } = await import('@payload-config')
const log = logger().child({ process: 'worker' })

const graphileLogger = new GraphileLogger((scope) => (level, message, meta) => {
  const child = log.child({ scope: { label: scope.label, task: scope.taskIdentifier, job: scope.jobId } })
  if (level === 'error') child.error(meta ?? {}, message)
  else if (level === 'warning') child.warn(meta ?? {}, message)
  else child.debug(meta ?? {}, message)
})

const payload = await getPayload({ config })
surviveDatabaseRestarts(payload.db.pool, log, 'payload')
// The worker's Prometheus metrics on a port of its own, behind the same token as /api/metrics.
watchPool('payload', payload.db.pool)
registerQueueGauges(payload)
const metricsServer = settings.WORKER_METRICS_PORT
  ? await serveMetrics({
      port: settings.WORKER_METRICS_PORT,
      token: settings.METRICS_TOKEN,
      render: () => renderMetrics(),
      onError: (error) => log.warn({ err: error }, 'metrics not rendered'),
    }).catch((error: Error) => {
      log.error({ err: error.message, port: settings.WORKER_METRICS_PORT }, 'metrics port not opened')
      return undefined
    })
  : undefined
if (metricsServer) log.info({ port: metricsServer.port, protected: Boolean(settings.METRICS_TOKEN) }, 'worker metrics listening')
const sharedPayload = async () => payload
const registration = new WorkerRegistration()

const common = {
  connectionString: settings.DATABASE_URL,
  schema: settings.GRAPHILE_WORKER_SCHEMA,
  logger: graphileLogger,
  // Signals are ours (below): graphile-worker's handler re-kills the process before our
  // registry entry and connections are closed.
  noHandleSignals: true,
}
// Publishing, schedules and sweeps. No local queue: pre-fetched jobs would sit locked in a
// process that may die, for no gain at a few publications a second.
const runner = new SupervisedRunner(
  'jobs',
  (registry) =>
    run({
      ...common,
      concurrency: settings.WORKER_CONCURRENCY,
      maxPoolSize: settings.WORKER_CONCURRENCY + 2,
      taskList: buildTaskList(sharedPayload),
      parsedCronItems: parseCronItems(CRONTAB),
      preset: { plugins: [registry], worker: { completeJobBatchDelay: 0, pollInterval: 1000 } },
    }),
  registration,
  log,
  (poolId) => releaseStoppedPool(payload, poolId),
)
// AI generation in a pool of its own: an article takes minutes and must not hold up a publication
// due now. On shutdown its model calls are aborted after 2 s; the job is released and resumes
// after the sections already saved.
const aiRunner = new SupervisedRunner(
  'ai',
  (registry) =>
    run({
      ...common,
      concurrency: settings.WORKER_AI_CONCURRENCY,
      maxPoolSize: settings.WORKER_AI_CONCURRENCY + 2,
      taskList: buildAiTaskList(sharedPayload),
      preset: { plugins: [registry], worker: { completeJobBatchDelay: 0, pollInterval: 1000, gracefulShutdownAbortTimeout: 2_000 } },
    }),
  registration,
  log,
)

const recovery = startRecoveryLoop(payload, registration, log, () => runner.running && aiRunner.running)

shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) {
    log.warn({ signal }, 'second signal: stopping now, running jobs are failed and released')
    await Promise.allSettled([runner.kill(), aiRunner.kill()])
    await registration.deregister().catch(() => undefined)
    process.exit(1)
  }
  stopping = true
  log.info({ signal }, 'stopping: finishing running jobs')
  await Promise.allSettled([runner.stop(), aiRunner.stop()])
  await recovery.stop()
  await registration.deregister().catch((error: Error) => log.warn({ err: error.message }, 'registry entry left for the others to clear'))
  await closeRedis().catch(() => undefined)
  await payload.destroy().catch(() => undefined)
  await metricsServer?.close()
  await Promise.allSettled([flushErrors(), stopTracing()])
  log.info('worker stopped')
  process.exit(0)
}

await seedPrompts(payload).then(
  (created) => created > 0 && log.info({ created }, 'prompt templates seeded'),
  (error: Error) => log.error({ err: error.message }, 'prompt templates not seeded'),
)
log.info({ concurrency: settings.WORKER_CONCURRENCY, aiConcurrency: settings.WORKER_AI_CONCURRENCY }, 'worker started')
