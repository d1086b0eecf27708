import type { EventEmitter } from 'node:events'

import { sql } from '@payloadcms/db-postgres'
import { Logger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker'
import type { Payload } from 'payload'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { addJob, queuedJobId } from '../../src/jobs/addJob'
import { listJobs } from '../../src/jobs/inspect'
import { stuckWork } from '../../src/jobs/stuckWork'
import { publishJobKey } from '../../src/jobs/contracts'
import { recoverDeadWorkers } from '../../src/jobs/recovery'
import { surviveDatabaseRestarts } from '../../src/lib/boot'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'
import { checkHealth } from '../../src/ops/health'
import { heldLeases } from '../../src/publishing/limits'
import { overdueQueued } from '../../src/publishing/publications'
import { t as text } from '../../src/i18n'
import type { Article, Keyword } from '../../src/payload-types'
import type { FakeOpenAI } from '../fakes/openai'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { waitFor } from '../helpers/wait'
import { startWorker, type WorkerProcess } from '../helpers/workerProcess'

// Migrated by the global set-up (tests/helpers/workerSchemas.ts): this file's workers see only
// this file's jobs.
const SCHEMA = 'pf_test_crash'
const DEAD_AFTER_MS = 6_000
const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
let t: Tenant
let channelId: number
let utils: WorkerUtils
const workers: WorkerProcess[] = []

const workerEnv = () => ({
  GRAPHILE_WORKER_SCHEMA: SCHEMA,
  WORKER_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
  // A call to a platform that never answers stays in flight until the worker is killed.
  PUBLISH_HTTP_TIMEOUT_MS: '120000',
  PUBLISH_CONNECTION_RATE_PER_MIN: '100000',
  // Three slots: the dead worker's three leases would fill the cap.
  PUBLISH_PLATFORM_CONCURRENCY: '3',
  WORKER_AI_CONCURRENCY: '1',
  // One section at a time, so exactly one model call is in flight when the worker is stopped or
  // killed (a kill amid concurrent sections is ai-worker's and ai-article-concurrent's case).
  AI_SECTION_CONCURRENCY: '1',
  AI_PRICES: JSON.stringify({ 'test/primary': { input: 1, output: 2 } }),
})

function spawnWorker() {
  const worker = startWorker(workerEnv())
  workers.push(worker)
  return worker
}

const alive = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)

/** A running worker for a test that needs one (each test stands on its own). */
const liveWorker = () => alive()[0] ?? spawnWorker()

/** Only the workers a test starts itself. */
async function stopAllWorkers() {
  await Promise.all(alive().map((w) => w.term()))
}

beforeAll(async () => {
  ;({ payload, ai, bot } = world)
  Object.assign(process.env, { GRAPHILE_WORKER_SCHEMA: SCHEMA, WORKER_DEAD_AFTER_MS: String(DEAD_AFTER_MS) })
  reloadEnv()
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: new Logger(() => () => {}) })
  t = await createTenant(payload, { name: 'Crash recovery' })
  channelId = (
    await payload.create({
      collection: 'connections',
      data: { displayName: 'Crash channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@pf_crash' } } as never,
    })
  ).id
})

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill9()))
  await utils?.release()
})

const channelPosts = (marker: string) =>
  bot.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === '@pf_crash' && String(c.params.text).includes(marker))
const ownerMessages = () => bot.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId)

async function duePost(marker: string) {
  const editor = await createStaff(payload, ['editor'])
  const post = await payload.create({
    collection: 'posts',
    data: { title: `Post ${marker}`, project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: `Текст ${marker}` }] } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  // Planned for later: its publish job (added with it) waits until a test queues it for now.
  return payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection: channelId, post: post.id, plannedAt: new Date(Date.now() + 3_600_000).toISOString() } as never,
  })
}

/** Moves the publication's one job (same key) to now. */
async function queuePublish(id: number) {
  await addJob('publication.publish', { publicationId: id })
}

const publication = (id: number) => payload.findByID({ collection: 'publications', id, depth: 0 })

async function registeredProcesses() {
  const { rows } = await utils.withPgClient((c) =>
    c.query<{ id: string; pool_ids: string[] }>('select id, pool_ids from postforge.worker_processes where jobs_schema = $1', [SCHEMA]),
  )
  return rows
}

async function jobsLockedBy(pools: string[]) {
  const { rows } = await utils.withPgClient((c) =>
    c.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.jobs where locked_by = any($1::text[])`, [pools]),
  )
  return rows[0].n
}

describe('crash recovery with real worker processes', () => {
  it('a worker killed with publish calls in flight: within a minute its jobs and slots are free, the calls unconfirmed with a reason and a notice, and publishing goes on', async () => {
    const told = ownerMessages().length
    const hung = await Promise.all(['cr-hang-1', 'cr-hang-2', 'cr-hang-3'].map(duePost))
    const first = spawnWorker()
    // Let the approval notices (queued jobs) land before the platform starts hanging.
    await waitFor(() => ownerMessages().length >= told + 3, 30_000)
    for (let i = 0; i < hung.length; i += 1) bot.fail('sendMessage', 'hang')
    for (const p of hung) await queuePublish(p.id)
    await waitFor(async () => ['cr-hang-1', 'cr-hang-2', 'cr-hang-3'].every((m) => channelPosts(m).length === 1), 60_000)
    const dead = await waitFor(async () => {
      const rows = await registeredProcesses()
      return rows.length === 1 && rows[0].pool_ids.length === 2 ? rows[0] : undefined
    })
    expect((await heldLeases()).filter((l) => l.holder === dead.id)).toHaveLength(3)
    await utils.addJob('worker.heartbeat', {})
    await waitFor(async () => (await checkHealth(payload)).checks.worker.ok)
    await first.kill9()
    const killedAt = Date.now()
    // Health stops vouching for a worker that is gone once its heartbeat is no longer renewed.
    const healthDownAfter = await waitFor(async () => (!(await checkHealth(payload)).checks.worker.ok ? Date.now() - killedAt : undefined), 20_000)
    expect(healthDownAfter).toBeLessThan(DEAD_AFTER_MS + 2_000)
    for (const p of hung) expect((await publication(p.id)).status).toBe('publishing')

    // Staff see the dead worker, the jobs it holds and its slots before anyone releases them.
    const view = await waitFor(async () => {
      const work = await stuckWork(payload)
      return work.workers.some((w) => w.id === dead.id && !w.alive) ? work : undefined
    })
    expect(view.leases.filter((l) => l.holder === dead.id && !l.holderAlive)).toHaveLength(3)
    const stuckJobs = await listJobs(payload, 'stuck')
    for (const p of hung) expect(stuckJobs.some((j) => j.key === publishJobKey(p.id) && dead.pool_ids.includes(j.lockedBy!))).toBe(true)

    // Published while the dead worker's leases would still fill the cap of three.
    const next = await duePost('cr-after-kill')
    await queuePublish(next.id)
    spawnWorker()
    await waitFor(async () => (await publication(next.id)).status === 'published', 60_000)
    await waitFor(async () => (await jobsLockedBy(dead.pool_ids)) === 0 && (await registeredProcesses()).every((r) => r.id !== dead.id), 60_000)
    for (const p of hung) {
      const row = await waitFor(async () => {
        const fresh = await publication(p.id)
        return fresh.status === 'unconfirmed' ? fresh : undefined
      })
      expect(row.lastError).toBe(text('en', 'publish.worker_died'))
      expect(row.history?.at(-1)).toMatchObject({ status: 'unconfirmed', message: text('en', 'publish.worker_died') })
    }
    const recoveredIn = Date.now() - killedAt
    expect(recoveredIn).toBeLessThan(60_000)
    expect((await heldLeases()).filter((l) => l.holder === dead.id)).toEqual([])
    // The customer is told of each, right after the rows are settled.
    const notices = await waitFor(async () => {
      const told = ownerMessages().filter((m) => String(m.params.text).includes(text('en', 'publish.worker_died')))
      return told.length >= 3 ? told : undefined
    }, 15_000)
    expect(notices).toHaveLength(3)
    // Never sent twice: the claim, not the job's attempts, decides.
    for (const marker of ['cr-hang-1', 'cr-hang-2', 'cr-hang-3', 'cr-after-kill']) expect(channelPosts(marker)).toHaveLength(1)
  }, 150_000)

  it('a reaper that dies half-way through settling a dead worker\'s publications leaves them to the next round, not stuck in publishing', async () => {
    // No live worker of this queue: the rounds below are the test's own, one at a time.
    await stopAllWorkers()
    surviveDatabaseRestarts((payload.db as unknown as { pool?: EventEmitter }).pool, logger(), 'test')
    const pub = await duePost('cr-reaper-dies')
    // A dead worker (silent for a minute) whose pool holds this publication's job mid-call.
    const deadId = `vm:dead:${pub.id}`
    const pool = `pool-dead-${pub.id}`
    await payload.db.drizzle.execute(sql`update publications set status = 'publishing', updated_at = now() where id = ${pub.id}`)
    await utils.withPgClient(async (c) => {
      await c.query(`insert into postforge.worker_processes (id, host, pid, jobs_schema, pool_ids, seen_at) values ($1, 'vm', 1, $2, $3, now() - interval '1 minute')`, [deadId, SCHEMA, [pool]])
      // What graphile-worker's fetch writes for the job a pool takes (no public function does).
      await c.query(`update ${SCHEMA}._private_jobs set locked_at = now(), locked_by = $1 where key = $2`, [pool, publishJobKey(pub.id)])
    })
    expect(await jobsLockedBy([pool])).toBe(1)

    // The reaper's connection is cut while it settles the publication (another transaction holds the row).
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await holder.connect()
    await holder.query('begin')
    await holder.query('select id from publications where id = $1 for update', [pub.id])
    let ended: string | undefined
    const firstRound = recoverDeadWorkers(payload).then(
      () => (ended = 'committed'),
      (error: Error) => (ended = error.message),
    )
    const reaper = await waitFor(async () => {
      expect(ended, 'the round ended before it reached the publication').toBeUndefined()
      const { rows } = await holder.query<{ pid: number }>(
        'select pid from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))',
      )
      return rows[0]?.pid
    })
    await utils.withPgClient((c) => c.query('select pg_terminate_backend($1)', [reaper]))
    expect(await firstRound).not.toBe('committed')
    await holder.query('rollback')
    await holder.end()
    // Nothing of the half-done round stays: the dead worker is still known, its job still held.
    expect((await publication(pub.id)).status).toBe('publishing')
    expect((await registeredProcesses()).map((r) => r.id)).toContain(deadId)
    expect(await jobsLockedBy([pool])).toBe(1)

    // The next round (any worker's) settles it with the reason and the customer's notice.
    const told = ownerMessages().length
    const next = await recoverDeadWorkers(payload)
    expect(next.processes).toEqual([deadId])
    expect(next.unconfirmed).toEqual([pub.id])
    const row = await publication(pub.id)
    expect(row.status).toBe('unconfirmed')
    expect(row.lastError).toBe(text('en', 'publish.worker_died'))
    expect(await jobsLockedBy([pool])).toBe(0)
    expect((await registeredProcesses()).map((r) => r.id)).not.toContain(deadId)
    spawnWorker()
    await waitFor(() => ownerMessages().slice(told).some((m) => String(m.params.text).includes('cr-reaper-dies')), 60_000)
  }, 120_000)

  it('a publication waiting out a Retry-After keeps one job under its key, and the sweeper leaves it alone', async () => {
    liveWorker()
    const pub = await duePost('cr-429')
    await new Promise((r) => setTimeout(r, 300))
    bot.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 900', retryAfter: 900 })
    await queuePublish(pub.id)
    const retried = await waitFor(async () => {
      const { rows } = await utils.withPgClient((c) =>
        c.query<{ key: string; run_at: Date; locked_at: Date | null }>(`select key, run_at, locked_at from ${SCHEMA}.jobs where key like $1`, [`publish:${pub.id}%`]),
      )
      return rows.length === 1 && !rows[0].locked_at && rows[0].run_at.getTime() > Date.now() + 60_000 ? rows : undefined
    })
    expect(retried[0].key).toBe(publishJobKey(pub.id))
    expect(retried[0].run_at.getTime()).toBeGreaterThan(Date.now() + 850_000)
    expect((await publication(pub.id)).status).toBe('queued')
    await payload.db.drizzle.execute(sql`update publications set planned_at = now() - interval '20 minutes' where id = ${pub.id}`)
    // Overdue, but a job waits under its key: the sweeper, which asks the queue, leaves it alone.
    expect(await overdueQueued(payload, 5 * 60_000)).toContain(pub.id)
    expect(await queuedJobId(publishJobKey(pub.id))).not.toBeNull()
  }, 60_000)

  it('survives PostgreSQL dropping all its connections and keeps publishing', async () => {
    const survivor = liveWorker()
    await waitFor(async () => {
      const { rows } = await utils.withPgClient((c) =>
        c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [survivor.appName]),
      )
      return rows[0].n >= 3
    })
    await utils.withPgClient((c) => c.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [survivor.appName]))
    await new Promise((r) => setTimeout(r, 2_000))
    expect(survivor.child.exitCode).toBeNull()
    const pub = await duePost('cr-after-terminate')
    await queuePublish(pub.id)
    await waitFor(async () => (await publication(pub.id)).status === 'published', 30_000)
    expect(channelPosts('cr-after-terminate')).toHaveLength(1)
    expect(survivor.child.exitCode).toBeNull()
  }, 60_000)

  it('a job that failed for good gives its key back, so the customer can try again', async () => {
    liveWorker()
    // Another account's request for this project: the job fails permanently at once.
    const other = await createTenant(payload, { name: 'Other' })
    const first = await addJob('keywords.cluster', { accountId: other.account.id, projectId: t.project.id })
    expect(first.alreadyQueued).toBe(false)
    const jobRow = async (id: string) =>
      (
        await utils.withPgClient((c) =>
          c.query<{ attempts: number; max_attempts: number; locked_at: Date | null; key: string }>(`select attempts, max_attempts, locked_at, key from ${SCHEMA}.jobs where id = $1`, [id]),
        )
      ).rows[0]
    await waitFor(async () => {
      const row = await jobRow(first.jobId)
      return row && !row.locked_at && row.attempts >= row.max_attempts
    })
    const again = await addJob('keywords.cluster', { accountId: t.account.id, projectId: t.project.id })
    expect(again.alreadyQueued).toBe(false)
    // graphile-worker's public add_job reuses the failed job's row under the key: a fresh job with fresh attempts.
    const fresh = await jobRow(again.jobId)
    expect(fresh?.key).toBe(`keywords.cluster:${t.project.id}`)
    expect(fresh!.locked_at !== null || fresh!.attempts < fresh!.max_attempts).toBe(true)
    // A double tap while that one waits (or runs) still queues once.
    expect(await addJob('keywords.cluster', { accountId: t.account.id, projectId: t.project.id })).toMatchObject({ jobId: again.jobId, alreadyQueued: true })
  }, 60_000)
})

describe('AI jobs across shutdowns and crashes', () => {
  const articleFor = async (keywordId: number) =>
    (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: keywordId } }, limit: 1, depth: 0 })).docs[0] as Article | undefined
  const runsOf = (articleId: number) => payload.find({ collection: 'ai-runs', where: { article: { equals: articleId } }, pagination: false, limit: 200, depth: 0 })

  /** An article job on a worker of its own, slowed down until a section is saved and the next streams. */
  async function articleInFlight(phrase: string) {
    await stopAllWorkers()
    const { keyword, job } = await articleJob(phrase)
    ai.setModel('test/primary', { tokensPerSecond: 40 })
    const worker = spawnWorker()
    await waitFor(async () => ((await articleFor(keyword.id))?.generation?.sections?.length ?? 0) >= 1, 90_000)
    await new Promise((r) => setTimeout(r, 3_000))
    return { keyword, job, worker }
  }

  async function articleJob(phrase: string) {
    const keyword = (await payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })) as Keyword
    const job = await utils.addJob(
      'article.generate',
      { accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false },
      { jobKey: `article.generate:keyword:${keyword.id}`, maxAttempts: 5 },
    )
    return { keyword, job }
  }

  it('SIGTERM mid-article: the job is released before exit, the chat hears it is paused, the running call is charged, and it resumes without a duplicate', async () => {
    const { keyword, job, worker } = await articleInFlight(`зерно для эспрессо ${Date.now().toString(36)}`)
    const code = await worker.term()
    expect(code).toBe(0)
    const stopped = (await articleFor(keyword.id))!
    const saved = stopped.generation!.sections!.map((s) => s.index)
    const { rows } = await utils.withPgClient((c) =>
      c.query<{ locked_at: Date | null; attempts: number; last_error: string | null }>(`select locked_at, attempts, last_error from ${SCHEMA}.jobs where id = $1`, [job.id]),
    )
    expect(rows[0].locked_at).toBeNull()
    expect(rows[0].attempts).toBe(0)
    const paused = ownerMessages().filter((m) => String(m.params.text).includes('is paused'))
    expect(paused.length).toBeGreaterThanOrEqual(1)
    const cut = (await runsOf(stopped.id)).docs.filter((r) => r.task === 'article.section' && r.outcome !== 'ok')
    expect(cut).toHaveLength(1)
    expect(cut[0].outputTokens).toBeGreaterThan(0)
    expect(cut[0].costUsd).toBeGreaterThan(0)

    ai.setModel('test/primary', {})
    const resumedAt = Date.now()
    spawnWorker()
    await waitFor(async () => (await articleFor(keyword.id))?.generation?.state === 'done', 90_000)
    expect(Date.now() - resumedAt).toBeLessThan(60_000)
    const done = (await articleFor(keyword.id))!
    const indexes = done.generation!.sections!.map((s) => s.index).sort()
    expect(new Set(indexes).size).toBe(indexes.length)
    const runs = (await runsOf(done.id)).docs
    for (const index of saved) expect(runs.filter((r) => r.task === 'article.section' && r.outcome === 'ok' && r.jobKey?.endsWith(`#section-${index + 1}`))).toHaveLength(1)
    expect(runs.filter((r) => r.outcome === 'running')).toEqual([])
    // The resumed status is a new message under the "paused" one, where the customer is reading.
    const said = ownerMessages().map((m) => String(m.params.text))
    const pausedAt = said.findIndex((text) => text.includes('is paused'))
    expect(said.findIndex((text, i) => i > pausedAt && text.includes('Carrying on with'))).toBeGreaterThan(pausedAt)
  }, 240_000)

  it('kill -9 mid-article: the call in flight stays charged by its estimate, and the article resumes within a minute with no one unlocking it', async () => {
    const { keyword, worker } = await articleInFlight(`молотый кофе ${Date.now().toString(36)}`)
    await worker.kill9()
    const killed = (await articleFor(keyword.id))!
    const running = (await runsOf(killed.id)).docs.filter((r) => r.outcome === 'running')
    expect(running).toHaveLength(1)
    expect(running[0].inputTokens).toBeGreaterThan(0)
    expect(running[0].outputTokens).toBeGreaterThan(0)
    expect(running[0].costUsd).toBeGreaterThan(0)

    ai.setModel('test/primary', {})
    const restartedAt = Date.now()
    const callsBefore = (await runsOf(killed.id)).totalDocs
    spawnWorker()
    // Resumed: the dead worker's job was released and a live one makes the next model call.
    await waitFor(async () => (await runsOf(killed.id)).totalDocs > callsBefore, 60_000)
    expect(Date.now() - restartedAt).toBeLessThan(60_000)
    await waitFor(async () => (await articleFor(keyword.id))?.generation?.state === 'done', 120_000)
    const done = (await articleFor(keyword.id))!
    const indexes = done.generation!.sections!.map((s) => s.index).sort()
    expect(new Set(indexes).size).toBe(indexes.length)
  }, 240_000)
})
