import { sql } from '@payloadcms/db-postgres'
import { Logger, makeWorkerUtils, type Runner, type WorkerUtils } from 'graphile-worker'
import type { Payload, PayloadRequest } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t as text } from '../../src/i18n'
import { publishJobKey } from '../../src/jobs/contracts'
import { WorkerRegistration } from '../../src/jobs/liveness'
import { releaseStoppedPool } from '../../src/jobs/recovery'
import { SupervisedRunner } from '../../src/jobs/supervisor'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'
import { claimPublication } from '../../src/publishing/publications'
import type { User } from '../../src/payload-types'
import { resetTelegramClient } from '../../src/telegram/client'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { testPayload } from '../helpers/payload'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'
import { startWorker, type WorkerProcess } from '../helpers/workerProcess'

// This file's own queue (migrated by the global set-up): only its workers take its jobs.
const SCHEMA = 'pf_test_outbox'
const DEAD_AFTER_MS = 4_000
const savedEnv = { ...process.env }
let payload: Payload
let bot: FakeTelegram
let utils: WorkerUtils
let t: Tenant
let editor: User
let channelId: number
const workers: WorkerProcess[] = []

const spawnWorker = () => {
  const worker = startWorker({ GRAPHILE_WORKER_SCHEMA: SCHEMA, WORKER_DEAD_AFTER_MS: String(DEAD_AFTER_MS), PUBLISH_CONNECTION_RATE_PER_MIN: '100000' })
  workers.push(worker)
  return worker
}

beforeAll(async () => {
  bot = await startFakeTelegram()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: `123456:${'O'.repeat(35)}`,
    TELEGRAM_API_ROOT: bot.url,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
    WORKER_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
  })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: new Logger(() => () => {}) })
  t = await createTenant(payload, { name: 'Outbox', reviewPolicy: 'staff' })
  editor = (await createStaff(payload, ['editor'])).user
  channelId = (
    await payload.create({
      collection: 'connections',
      data: { displayName: 'Outbox channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@pf_outbox' } } as never,
    })
  ).id
})

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill9()))
  await utils?.release()
  await bot?.close()
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
})

/** Jobs of a task in this file's queue, as graphile-worker's public view shows them. */
async function jobsOf(task: string, key?: string) {
  const { rows } = await utils.withPgClient((c) =>
    c.query<{ id: string; key: string | null; run_at: Date }>(
      `select id::text, key, run_at from ${SCHEMA}.jobs where task_identifier = $1 and ($2::text is null or key = $2)`,
      [task, key ?? null],
    ),
  )
  return rows
}

const noticesTo = (title: string) =>
  bot.calls.filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === t.account.telegramId && String(c.params.text).includes(title))

async function articleInReview(title: string) {
  return payload.create({ collection: 'articles', data: { title, project: t.project.id, workflowStatus: 'in_review' } as never, overrideAccess: true })
}

/** A Payload transaction the test controls: the writes made with `req` commit or roll back together. */
async function transaction() {
  const transactionID = (await payload.db.beginTransaction())!
  const req = { transactionID } as unknown as PayloadRequest
  const tx = (payload.db as unknown as { sessions: Record<string, { db: { execute: (q: ReturnType<typeof sql>) => Promise<{ rows: Record<string, unknown>[] }> } }> })
    .sessions[String(transactionID)].db
  return {
    req,
    /** What the transaction itself sees of this file's queue. */
    jobsInside: async (task: string) =>
      (await tx.execute(sql`select key, run_at from ${sql.raw(`${SCHEMA}.jobs`)} where task_identifier = ${task}`)).rows as { key: string | null; run_at: string }[],
    commit: () => payload.db.commitTransaction(transactionID),
    rollback: () => payload.db.rollbackTransaction(transactionID),
  }
}

describe('side effects of a write are outbox jobs of its transaction', () => {
  it('an approval that rolls back leaves no notice job and tells the owner nothing', async () => {
    const article = await articleInReview('Rolled back approval')
    const before = (await jobsOf('notice.send')).length
    const write = await transaction()
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false, req: write.req })
    // Inside the write's transaction the notice is queued...
    expect((await write.jobsInside('notice.send')).length).toBe(before + 1)
    // ...and nobody outside sees it before the commit.
    expect((await jobsOf('notice.send')).length).toBe(before)
    await write.rollback()

    expect((await jobsOf('notice.send')).length).toBe(before)
    expect((await payload.findByID({ collection: 'articles', id: article.id, depth: 0 })).workflowStatus).toBe('in_review')
    // A worker running now finds nothing to send.
    const worker = spawnWorker()
    const committed = await articleInReview('Committed approval')
    await payload.update({ collection: 'articles', id: committed.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
    await waitFor(() => noticesTo('Committed approval').length === 1)
    expect(noticesTo('Rolled back approval')).toEqual([])
    await worker.term()
  })

  it('a publication created in a transaction has its publish job in that transaction, due at its instant, and is published', async () => {
    const post = await payload.create({
      collection: 'posts',
      data: { title: 'Outbox post', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'Текст outbox-publish' }] } as never,
    })
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
    const plannedAt = new Date(Date.now() + 500).toISOString()

    // Rolled back: neither the publication nor its job exists.
    const undone = await transaction()
    const ghost = await payload.create({ collection: 'publications', data: { project: t.project.id, connection: channelId, post: post.id, plannedAt } as never, req: undone.req })
    expect((await undone.jobsInside('publication.publish')).some((j) => j.key === publishJobKey(ghost.id))).toBe(true)
    await undone.rollback()
    expect(await jobsOf('publication.publish', publishJobKey(ghost.id))).toEqual([])

    // Committed: the job is there the moment the publication is, due exactly at its instant.
    const write = await transaction()
    const publication = await payload.create({ collection: 'publications', data: { project: t.project.id, connection: channelId, post: post.id, plannedAt } as never, req: write.req })
    expect(await jobsOf('publication.publish', publishJobKey(publication.id))).toEqual([])
    await write.commit()
    const [job] = await jobsOf('publication.publish', publishJobKey(publication.id))
    expect(job.run_at.toISOString()).toBe(plannedAt)

    const worker = spawnWorker()
    await waitFor(async () => (await payload.findByID({ collection: 'publications', id: publication.id, depth: 0 })).status === 'published')
    expect(bot.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes('outbox-publish'))).toHaveLength(1)
    await worker.term()
  })

  it('a committed notice is delivered exactly once when the worker sending it is killed and another takes over', async () => {
    const first = spawnWorker()
    // The first send never gets an answer: the worker is killed while it waits.
    bot.fail('sendMessage', 'hang')
    const article = await articleInReview('Crash-proof notice')
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
    await waitFor(() => noticesTo('Crash-proof notice').length === 1)
    await first.kill9()

    // Written while no worker runs at all: waits in the queue.
    const later = await articleInReview('Written while down')
    await payload.update({ collection: 'articles', id: later.id, data: { workflowStatus: 'changes_requested', reviewNote: 'Shorter intro' }, user: editor, overrideAccess: false })
    expect(noticesTo('Written while down')).toEqual([])

    // A new worker releases the dead one's job (after WORKER_DEAD_AFTER_MS) and sends both.
    spawnWorker()
    await waitFor(() => noticesTo('Crash-proof notice').length === 2 && noticesTo('Written while down').length === 1)
    // Nothing is left to send once the queue is empty (rather than watching a fixed three seconds
    // for a repeat, which a slow machine could pass before the repeat came).
    await waitFor(async () => (await jobsOf('notice.send')).length === 0)
    // One hung attempt that never reached the customer, then one delivery; nothing sent again.
    expect(noticesTo('Crash-proof notice')).toHaveLength(2)
    expect(noticesTo('Written while down').map((c) => c.params.text)).toEqual([
      text('en', 'notify.review_changes', { title: 'Written while down', note: 'Shorter intro' }),
    ])
    await Promise.all(workers.map((w) => w.term()))
  }, LONG_TEST_TIMEOUT_MS)

  it('a pool that stops by itself with a publish call in flight has that publication settled as unconfirmed, with the notice', async () => {
    const post = await payload.create({
      collection: 'posts',
      data: { title: 'Pool stopped', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'Текст pool-stopped' }] } as never,
    })
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
    const pub = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: channelId, post: post.id, plannedAt: new Date(Date.now() + 3_600_000).toISOString() } as never,
    })
    // A pool of this process took the publish job and claimed the publication (the call is out)...
    const poolId = `pool-test-${pub.id}`
    expect(await claimPublication(payload, pub.id)).toBe(true)
    await utils.withPgClient((c) =>
      // graphile-worker's runner is simulated below; its lock is written the way its own fetch does.
      c.query(`update ${SCHEMA}._private_jobs set locked_at = now(), locked_by = $1 where key = $2`, [poolId, publishJobKey(pub.id)]),
    )
    // ...and then stopped by itself (PostgreSQL went away under it): the supervisor retires it.
    // No worker runs here: only the supervisor can settle it.
    const notices = (await jobsOf('notice.send')).length
    const registration = new WorkerRegistration()
    let starts = 0
    const supervisor = new SupervisedRunner(
      'outbox-test',
      async (registry) => {
        starts += 1
        if (starts === 1) {
          const hooks = registry.worker!.hooks! as { startWorker: (ctx: unknown, event: unknown) => Promise<void> }
          await hooks.startWorker({}, { worker: { workerPool: { id: poolId } } })
          return { promise: Promise.resolve(), stop: async () => {}, kill: async () => {} } as unknown as Runner
        }
        let stop = () => {}
        const promise = new Promise<void>((resolve) => (stop = resolve))
        return { promise, stop: async () => stop(), kill: async () => stop() } as unknown as Runner
      },
      registration,
      logger(),
      (stopped) => releaseStoppedPool(payload, stopped),
    )
    try {
      const settled = await waitFor(async () => {
        const row = await payload.findByID({ collection: 'publications', id: pub.id, depth: 0 })
        return row.status === 'unconfirmed' ? row : undefined
      })
      expect(settled.lastError).toBe(text('en', 'publish.worker_died'))
      const [job] = await utils.withPgClient(async (c) => (await c.query(`select locked_by from ${SCHEMA}.jobs where key = $1`, [publishJobKey(pub.id)])).rows)
      expect(job.locked_by).toBeNull()
      // The customer's notice was queued with the settled row.
      expect((await jobsOf('notice.send')).length).toBe(notices + 1)
    } finally {
      await supervisor.stop()
      await registration.deregister()
    }
  })

  it('an account blocked by staff gets no notice: its job runs and sends nothing', async () => {
    const blocked = await createTenant(payload, { name: 'Blocked owner', reviewPolicy: 'staff' })
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Approved while blocked', project: blocked.project.id, workflowStatus: 'in_review' } as never,
      overrideAccess: true,
    })
    await payload.update({ collection: 'accounts', id: blocked.account.id, data: { status: 'blocked' }, overrideAccess: true })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
    expect((await jobsOf('notice.send')).length).toBeGreaterThan(0)
    await deliverNotices(payload)
    expect(bot.calls.filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === blocked.account.telegramId)).toEqual([])
    // Done, not failed or waiting to retry.
    expect(await jobsOf('notice.send')).toEqual([])
  })
})
