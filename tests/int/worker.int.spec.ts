import { makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'

import { defineTask } from '../../src/jobs/task'
import { buildTaskList } from '../../src/jobs/taskList'
import { checkHealth } from '../../src/lib/health'
import { redis } from '../../src/lib/redis'
import { testPayload } from '../helpers/payload'

let runner: Runner
let utils: WorkerUtils
const seen: string[] = []

const echo = defineTask('test.echo', z.object({ word: z.string().min(1) }), async ({ word }) => {
  seen.push(word)
})

beforeAll(async () => {
  const payload = await testPayload()
  await redis().del('postforge:worker:heartbeat')
  const taskList = { ...buildTaskList(async () => payload), ...Object.fromEntries([echo(async () => payload)]) }
  runner = await run({
    connectionString: process.env.DATABASE_URL,
    concurrency: 2,
    taskList,
    noHandleSignals: true,
    preset: { worker: { pollInterval: 200 } },
    logger: new (await import('graphile-worker')).Logger(() => () => {}),
  })
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL })
})

afterAll(async () => {
  await runner?.stop()
  await utils?.release()
})

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await fn()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('timed out')
}

describe('worker', () => {
  it('runs a job with a valid payload', async () => {
    await utils.addJob('test.echo', { word: 'привет' })
    await waitFor(async () => (seen.includes('привет') ? true : undefined))
  })

  it('fails one bad payload once, with a clear error, and keeps running others', async () => {
    const bad = await utils.addJob('test.echo', { word: 42 }, { maxAttempts: 10 })
    await utils.addJob('test.echo', { word: 'after' })
    const row = await waitFor(async () => {
      const { rows } = await utils.withPgClient((c) =>
        c.query('select attempts, max_attempts, last_error, locked_at from graphile_worker.jobs where id = $1', [bad.id]),
      )
      return rows[0]?.last_error && !rows[0].locked_at ? rows[0] : undefined
    })
    expect(row.last_error).toContain('invalid payload for test.echo: word')
    expect(row.attempts).toBe(1)
    expect(row.max_attempts).toBe(1)
    await waitFor(async () => (seen.includes('after') ? true : undefined))
  })

  it('proves to /api/health that it consumes jobs', async () => {
    const payload = await testPayload()
    expect((await checkHealth(payload)).checks.worker.ok).toBe(false)
    await utils.addJob('worker.heartbeat', {})
    const report = await waitFor(async () => {
      const r = await checkHealth(payload)
      return r.checks.worker.ok ? r : undefined
    })
    expect(report.checks.worker.lastJobAgoMs).toBeLessThan(10_000)
  })
})
