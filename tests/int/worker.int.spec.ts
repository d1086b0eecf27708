import { makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'

import { defineTask } from '../../src/jobs/task'
import { heartbeat } from '../../src/jobs/tasks/heartbeat'
import { recordHeartbeat } from '../../src/jobs/heartbeat'
import { checkHealth } from '../../src/ops/health'
import { redis } from '../../src/lib/redis'
import { createStaff, createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest } from '../helpers/rest'
import { waitFor } from '../helpers/wait'

let runner: Runner
let utils: WorkerUtils
const seen: string[] = []
let flaky = true

const echo = defineTask('test.echo', z.object({ word: z.string().min(1) }), async ({ word }) => {
  seen.push(word)
})

const sometimesFails = defineTask('test.flaky', z.object({}), async () => {
  if (flaky) throw new Error('platform answered 503')
  seen.push('flaky-ok')
})

beforeAll(async () => {
  const payload = await testPayload()
  // The heartbeat and this file's own tasks only: publish and notice jobs in the shared queue
  // belong to other files (publications and notices are queued with their writes).
  const taskList = Object.fromEntries([heartbeat(async () => payload), echo(async () => payload), sometimesFails(async () => payload)])
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
    // Other files' workers share this database: start from a heartbeat older than the limit.
    await recordHeartbeat(Date.now() - 10 * 60_000)
    expect((await checkHealth(payload)).checks.worker.ok).toBe(false)
    const added = Date.now()
    await utils.addJob('worker.heartbeat', {})
    const report = await waitFor(async () => {
      const r = await checkHealth(payload)
      return r.checks.worker.ok && r.checks.worker.lastJobAgoMs! <= Date.now() - added ? r : undefined
    })
    expect(report.checks.worker.lastJobAgoMs).toBeLessThan(10_000)
  })

  it('shows staff the failed job with its error and lets an editor retry it', async () => {
    const payload = await testPayload()
    const editor = await createStaff(payload, ['editor'])
    const job = await utils.addJob('test.flaky', {}, { maxAttempts: 1 })
    const failed = await waitFor(async () => {
      const res = await rest('GET', '/jobs?state=failed', { auth: editor.auth })
      return res.json.docs.find((d: { id: string }) => d.id === String(job.id))
    })
    expect(failed).toMatchObject({ task: 'test.flaky', attempts: 1, lastError: expect.stringContaining('platform answered 503') })

    const customer = await createTenant(payload)
    expect((await rest('GET', '/jobs?state=failed', { auth: customer.auth })).status).toBe(403)
    expect((await rest('POST', `/jobs/${job.id}/retry`, { auth: customer.auth })).status).toBe(403)

    flaky = false
    const retry = await rest('POST', `/jobs/${job.id}/retry`, { auth: editor.auth })
    expect(retry.status).toBe(200)
    await waitFor(async () => (seen.includes('flaky-ok') ? true : undefined))
  })
})
