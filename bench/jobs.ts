/**
 * Job throughput: 10,000 no-op jobs through bare graphile-worker (defaults) and through our
 * worker set-up (zod-parsed task wrapper, child logger per job, tuned local queue), same machine,
 * same run, same database. Prints jobs/s for each and the ratio.
 *
 *   npx tsx bench/jobs.ts [jobs=10000] [concurrency=10]
 */
import { Logger, makeWorkerUtils, run, type TaskList } from 'graphile-worker'
import { z } from 'zod'

import { defineTask } from '../src/jobs/task'
import { row, scratchDatabase } from './lib'

process.env.LOG_LEVEL ??= 'silent'
const JOBS = Number(process.argv[2] ?? 10_000)
const CONCURRENCY = Number(process.argv[3] ?? 10)
const silent = new Logger(() => () => {})

async function measure(label: string, url: string, taskList: TaskList, preset?: Parameters<typeof run>[0]['preset']) {
  const utils = await makeWorkerUtils({ connectionString: url, logger: silent })
  await utils.migrate()
  await utils.withPgClient((c) => c.query('delete from graphile_worker._private_jobs'))
  const task = Object.keys(taskList)[0]
  const batch = Array.from({ length: JOBS }, (_, i) => ({ identifier: task, payload: { n: i } }))
  await utils.addJobs(batch)
  const started = performance.now()
  const runner = await run({ connectionString: url, concurrency: CONCURRENCY, taskList, logger: silent, noHandleSignals: true, preset })
  for (;;) {
    const { rows } = await utils.withPgClient((c) => c.query('select count(*)::int as n from graphile_worker._private_jobs'))
    if (rows[0].n === 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const seconds = (performance.now() - started) / 1000
  await runner.stop()
  await utils.release()
  const perSecond = JOBS / seconds
  row(label, { jobs: JOBS, seconds: seconds.toFixed(2), 'jobs/s': Math.round(perSecond) })
  return perSecond
}

const db = await scratchDatabase('bench_jobs')
try {
  const bare = await measure('bare graphile-worker (defaults)', db.url, { noop: async () => {} })
  const ours = defineTask('noop', z.object({ n: z.number().int() }), async () => {})
  // A no-op task never touches Payload; the wrapper still resolves it once per job.
  const noPayload = async () => ({}) as never
  const oursRate = await measure('postforge worker (wrapper + tuning)', db.url, Object.fromEntries([ours(noPayload)]), {
    worker: { localQueue: { size: CONCURRENCY * 4 }, completeJobBatchDelay: 0, pollInterval: 1000 },
  })
  row('ratio postforge / bare', { ratio: (oursRate / bare).toFixed(2) })
} finally {
  await db.drop()
}
