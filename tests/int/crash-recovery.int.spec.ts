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
import { holdSectionsAfter, useFakeAiWorld } from '../helpers/aiWorld'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
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

/** Starts a worker and gives the time it registered (it is up and taking jobs). */
async function workerRegistered(start: () => void): Promise<number> {
  const known = new Set((await registeredProcesses()).map((r) => r.id))
  start()
  await waitFor(async () => (await registeredProcesses()).some((r) => !known.has(r.id)))
  return Date.now()
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
    await waitFor(() => ownerMessages().length >= told + 3)
    for (let i = 0; i < hung.length; i += 1) bot.fail('sendMessage', 'hang')
    for (const p of hung) await queuePublish(p.id)
    await waitFor(async () => ['cr-hang-1', 'cr-hang-2', 'cr-hang-3'].every((m) => channelPosts(m).length === 1))
    const dead = await waitFor(async () => {
      const rows = await registeredProcesses()
      return rows.length === 1 && rows[0].pool_ids.length === 2 ? rows[0] : undefined
    })
    expect((await heldLeases()).filter((l) => l.holder === dead.id)).toHaveLength(3)
    await utils.addJob('worker.heartbeat', {})
    await waitFor(async () => (await checkHealth(payload)).checks.worker.ok)
    await first.kill9()
    const killedAt = Date.now()
    // Health stops vouching for a worker that is gone once its heartbeat is no longer renewed. Timed
    // by when the look that saw it down began, not by when that look's answer came back: on a busy
    // machine one health check can take a second or two.
    const healthDownAfter = await waitFor(async () => {
      const asked = Date.now()
      return !(await checkHealth(payload)).checks.worker.ok ? asked - killedAt : undefined
    })
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
    const replacementUp = await workerRegistered(() => spawnWorker())
    await waitFor(async () => (await publication(next.id)).status === 'published')
    await waitFor(async () => (await jobsLockedBy(dead.pool_ids)) === 0 && (await registeredProcesses()).every((r) => r.id !== dead.id))
    for (const p of hung) {
      const row = await waitFor(async () => {
        const fresh = await publication(p.id)
        return fresh.status === 'unconfirmed' ? fresh : undefined
      })
      expect(row.lastError).toBe(text('en', 'publish.worker_died'))
      expect(row.history?.at(-1)).toMatchObject({ status: 'unconfirmed', message: text('en', 'publish.worker_died') })
    }
    // Within a minute of a live worker being there: the replacement's boot (compiling and starting
    // the app in a fresh process, CPU-bound, tens of seconds on a busy machine) is not the recovery.
    const recoveredIn = Date.now() - Math.max(killedAt, replacementUp)
    expect(recoveredIn).toBeLessThan(60_000)
    expect((await heldLeases()).filter((l) => l.holder === dead.id)).toEqual([])
    // The customer is told of each, right after the rows are settled.
    const notices = await waitFor(async () => {
      const told = ownerMessages().filter((m) => String(m.params.text).includes(text('en', 'publish.worker_died')))
      return told.length >= 3 ? told : undefined
    })
    expect(notices).toHaveLength(3)
    // Never sent twice: the claim, not the job's attempts, decides.
    for (const marker of ['cr-hang-1', 'cr-hang-2', 'cr-hang-3', 'cr-after-kill']) expect(channelPosts(marker)).toHaveLength(1)
  }, LONG_TEST_TIMEOUT_MS)

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
    await waitFor(() => ownerMessages().slice(told).some((m) => String(m.params.text).includes('cr-reaper-dies')))
  })

  it('a publication waiting out a Retry-After keeps one job under its key, and the sweeper leaves it alone', async () => {
    liveWorker()
    const pub = await duePost('cr-429')
    // This post's approval notice, and any other notice still queued, go out first: the 429 below
    // (Telegram's next sendMessage) is for the publication.
    await waitFor(async () => {
      if (!ownerMessages().some((m) => String(m.params.text).includes('cr-429'))) return false
      const { rows } = await utils.withPgClient((c) => c.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.jobs where task_identifier = 'notice.send' and attempts < max_attempts`))
      return rows[0].n === 0
    })
    bot.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 900', retryAfter: 900 })
    const queued = Date.now()
    await queuePublish(pub.id)
    const retried = await waitFor(async () => {
      const { rows } = await utils.withPgClient((c) =>
        c.query<{ key: string; run_at: Date; locked_at: Date | null }>(`select key, run_at, locked_at from ${SCHEMA}.jobs where key like $1`, [`publish:${pub.id}%`]),
      )
      return rows.length === 1 && !rows[0].locked_at && rows[0].run_at.getTime() > Date.now() + 60_000 ? rows : undefined
    })
    expect(retried[0].key).toBe(publishJobKey(pub.id))
    // Counted from before the call was made, not from however much later a busy machine checks.
    expect(retried[0].run_at.getTime()).toBeGreaterThan(queued + 850_000)
    expect((await publication(pub.id)).status).toBe('queued')
    await payload.db.drizzle.execute(sql`update publications set planned_at = now() - interval '20 minutes' where id = ${pub.id}`)
    // Overdue, but a job waits under its key: the sweeper, which asks the queue, leaves it alone.
    expect(await overdueQueued(payload, 5 * 60_000)).toContain(pub.id)
    expect(await queuedJobId(publishJobKey(pub.id))).not.toBeNull()
  })

  it('survives PostgreSQL dropping all its connections and keeps publishing', async () => {
    const survivor = liveWorker()
    const backends = async () =>
      (
        await utils.withPgClient((c) =>
          c.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [survivor.appName]),
        )
      ).rows.map((r) => r.pid)
    await waitFor(async () => (await backends()).length >= 3)
    const cut = (
      await utils.withPgClient((c) =>
        c.query<{ pid: number }>('select pg_terminate_backend(pid), pid from pg_stat_activity where application_name = $1', [survivor.appName]),
      )
    ).rows.map((r) => r.pid)
    // Until the worker has noticed and connected again (graphile-worker reopens its LISTEN
    // connection at once), rather than a fixed two seconds: by then a worker that would die of
    // it has had its chance, however slow the machine.
    await waitFor(async () => (await backends()).some((pid) => !cut.includes(pid)) || survivor.child.exitCode !== null)
    expect(survivor.child.exitCode).toBeNull()
    const pub = await duePost('cr-after-terminate')
    await queuePublish(pub.id)
    await waitFor(async () => (await publication(pub.id)).status === 'published')
    expect(channelPosts('cr-after-terminate')).toHaveLength(1)
    expect(survivor.child.exitCode).toBeNull()
  })

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
  })
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
    // The second section cannot be finished before the stop, however slow the machine.
    const release = holdSectionsAfter(ai, phrase, 1)
    const worker = spawnWorker()
    const article = await waitFor(async () => {
      const found = await articleFor(keyword.id)
      return (found?.generation?.sections?.length ?? 0) >= 1 ? found : undefined
    })
    // Until the next section's call has streamed (and been charged) some tokens, rather than a
    // fixed three seconds: its row is `running` with output tokens.
    await waitFor(async () => (await runsOf(article!.id)).docs.some((r) => r.task === 'article.section' && r.outcome === 'running' && (r.outputTokens ?? 0) > 0))
    return { keyword, job, worker, release }
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
    const { keyword, job, worker, release } = await articleInFlight(`зерно для эспрессо ${Date.now().toString(36)}`)
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
    release()
    // From when the new worker is up: its boot is CPU-bound and slow on a busy machine.
    const resumedAt = await workerRegistered(() => spawnWorker())
    await waitFor(async () => (await articleFor(keyword.id))?.generation?.state === 'done')
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
  }, LONG_TEST_TIMEOUT_MS)

  it('kill -9 mid-article: the call in flight stays charged by its estimate, and the article resumes within a minute with no one unlocking it', async () => {
    const { keyword, worker, release } = await articleInFlight(`молотый кофе ${Date.now().toString(36)}`)
    await worker.kill9()
    const killed = (await articleFor(keyword.id))!
    const running = (await runsOf(killed.id)).docs.filter((r) => r.outcome === 'running')
    expect(running).toHaveLength(1)
    expect(running[0].inputTokens).toBeGreaterThan(0)
    expect(running[0].outputTokens).toBeGreaterThan(0)
    expect(running[0].costUsd).toBeGreaterThan(0)

    ai.setModel('test/primary', {})
    release()
    const callsBefore = (await runsOf(killed.id)).totalDocs
    // From when the new worker is up: its boot is CPU-bound and slow on a busy machine.
    const restartedAt = await workerRegistered(() => spawnWorker())
    // Resumed: the dead worker's job was released and a live one makes the next model call.
    await waitFor(async () => (await runsOf(killed.id)).totalDocs > callsBefore)
    expect(Date.now() - restartedAt).toBeLessThan(60_000)
    await waitFor(async () => (await articleFor(keyword.id))?.generation?.state === 'done')
    const done = (await articleFor(keyword.id))!
    const indexes = done.generation!.sections!.map((s) => s.index).sort()
    expect(new Set(indexes).size).toBe(indexes.length)
  }, LONG_TEST_TIMEOUT_MS)
})
