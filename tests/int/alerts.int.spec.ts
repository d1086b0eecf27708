import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { addJob } from '../../src/jobs/addJob'
import { recordHeartbeat } from '../../src/jobs/heartbeat'
import { listJobs, workerUtils } from '../../src/jobs/inspect'
import { reloadEnv } from '../../src/lib/env'
import { closeRedis, databaseScope, redis } from '../../src/lib/redis'
import { failureFindings, spendFindings } from '../../src/ops/alertChecks'
import { reconcile } from '../../src/ops/alerts'
import { AlertWatchdog } from '../../src/ops/alertWatchdog'
import { claimPublication, settlePublication } from '../../src/publishing/publications'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'
import { startWorker } from '../helpers/workerProcess'

/**
 * Staff alerts as the staff chat sees them, through the bot's real client against the fake Bot
 * API: one message when an incident starts, however many checks and watchdogs see it, and one
 * when it clears. The failure checks are run at an instant of their own (2031), with this file's
 * publications dated there, so other test files' failures on the shared database never count.
 */

const STAFF_CHAT = -1009990001
const saved = { ...process.env }

let payload: Payload
let telegram: FakeTelegram
let tenant: Tenant

const staffTexts = () => telegram.textsTo(STAFF_CHAT)
const sent = (pattern: RegExp) => staffTexts().filter((t) => pattern.test(t))

beforeAll(async () => {
  payload = await testPayload()
  telegram = await startFakeTelegram()
  Object.assign(process.env, {
    // A queue of this file's own: its heartbeat key is nobody else's.
    GRAPHILE_WORKER_SCHEMA: 'pf_test_alerts',
    TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`,
    TELEGRAM_API_ROOT: telegram.url,
    STAFF_ALERT_CHAT_ID: String(STAFF_CHAT),
    ALERT_WORKER_DOWN_AFTER_MS: '400',
    ALERT_WATCHDOG_INTERVAL_MS: '200',
    ALERT_PLATFORM_CONNECTIONS: '3',
    ALERT_FAILED_PUBLICATIONS: '5',
    ALERT_WINDOW_MINUTES: '15',
    ALERT_MAX_PER_HOUR: '1000',
    AI_DAILY_BUDGET_USD: '5',
  })
  reloadEnv()
  tenant = await createTenant(payload, { name: 'Alerts' })
})

afterAll(async () => {
  process.env = { ...saved }
  reloadEnv()
  await telegram?.close()
  await closeRedis()
})

describe('the worker heartbeat, watched from the web app', () => {
  it('a lost heartbeat is told once across repeated rounds of two watchdogs, and its end once', async () => {
    const a = new AlertWatchdog({ id: 'web-a' })
    const b = new AlertWatchdog({ id: 'web-b' })
    const round = async () => (await Promise.all([a.tick(), b.tick()])).map((t) => t.role).sort()
    const heartbeatKey = `pf:${databaseScope()}:worker:heartbeat:pf_test_alerts`
    await redis().del(heartbeatKey)

    // No live worker has ever renewed this queue's heartbeat: after ALERT_WORKER_DOWN_AFTER_MS, one message.
    expect(await round()).toEqual(['follower', 'leader'])
    expect(sent(/Worker heartbeat lost/)).toHaveLength(0)
    await waitFor(async () => {
      await round()
      return sent(/Worker heartbeat lost/).length > 0
    })
    for (let i = 0; i < 5; i++) await round()
    expect(sent(/Worker heartbeat lost/)).toHaveLength(1)
    expect(sent(/Worker heartbeat lost/)[0]).toMatch(/ALERT[\s\S]*No live worker process has renewed the heartbeat[\s\S]*worker_down:heartbeat/)

    // Two processes that both think they lead still send one message: opening is one Redis command.
    await recordHeartbeat()
    await waitFor(async () => {
      await round()
      return sent(/RESOLVED[\s\S]*Worker heartbeat lost/).length > 0
    })
    for (let i = 0; i < 3; i++) await round()
    expect(sent(/RESOLVED[\s\S]*Worker heartbeat lost/)).toHaveLength(1)

    // A worker alive but not running its heartbeat job for 10 minutes (a hung pool).
    await recordHeartbeat(Date.now() - 10 * 60_000)
    await waitFor(async () => {
      await Promise.all([a.tick(), b.tick(), a.tick()])
      return sent(/ALERT[\s\S]*Worker heartbeat lost/).length > 1
    })
    for (let i = 0; i < 3; i++) await round()
    const lost = sent(/ALERT[\s\S]*Worker heartbeat lost/)
    expect(lost).toHaveLength(2)
    expect(lost[1]).toMatch(/The last heartbeat job ran 10 min ago/)

    // The leader stops: the other takes over at once and still reports nothing new.
    await a.stop()
    expect((await b.tick()).role).toBe('leader')
    expect(sent(/ALERT[\s\S]*Worker heartbeat lost/)).toHaveLength(2)
    await recordHeartbeat()
    await b.tick()
    expect(sent(/RESOLVED[\s\S]*Worker heartbeat lost/)).toHaveLength(2)
    await b.stop()
  })
})

describe('one platform failing for many connections', () => {
  /** An instant no other test file's failures fall near. */
  const T = Date.parse('2031-03-01T12:00:00.000Z')

  async function failingConnection(name: string, outcome: 'failed' | 'retry') {
    const editor = await createStaff(payload, ['editor'])
    const connection = await payload.create({
      collection: 'connections',
      data: { displayName: name, platform: 'vk', project: tenant.project.id, credentials: { groupId: 4242, accessToken: 'vk-token-0123456789' } } as never,
    })
    const article = await payload.create({ collection: 'articles', data: { title: `${name} article`, project: tenant.project.id, workflowStatus: 'in_review' } as never })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const publication = await payload.create({
      collection: 'publications',
      data: { project: tenant.project.id, connection: connection.id, article: article.id, plannedAt: new Date(T).toISOString() } as never,
    })
    // The publish path's own records: claimed, then failed, or sent back to the queue after a 5xx.
    expect(await claimPublication(payload, publication.id)).toBe(true)
    await settlePublication(payload, publication.id, outcome === 'failed' ? { status: 'failed', message: 'VK error 5' } : { status: 'queued', message: 'VK answered 503' })
    await payload.db.drizzle.execute(sql`
      update publications_history set at = ${new Date(T).toISOString()}::timestamptz + make_interval(secs => _order) where _parent_id = ${publication.id}`)
    return connection.id
  }

  const check = (now: number) => failureFindings(payload, now).then((findings) => reconcile(['publications_failing', 'platform_failing', 'jobs_failing'], findings, { now }))

  it('alerts once when the third connection fails within the window, and once when it clears', async () => {
    const ids = [await failingConnection('VK one', 'failed'), await failingConnection('VK two', 'retry')]
    expect((await check(T + 5 * 60_000)).opened).toEqual([])
    expect(sent(/platform_failing:vk/)).toHaveLength(0)

    ids.push(await failingConnection('VK three', 'failed'))
    const results = await Promise.all([check(T + 5 * 60_000), check(T + 5 * 60_000), check(T + 6 * 60_000)])
    expect(results.flatMap((r) => r.opened)).toEqual(['platform_failing:vk'])
    await check(T + 7 * 60_000)
    const alerts = sent(/ALERT[\s\S]*platform_failing:vk/)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toContain('vk: publishing failed for 3 connections in the last 15 min')
    expect(alerts[0]).toContain(`Connection ids: ${[...ids].sort((x, y) => x - y).join(', ')}.`)
    // Two failed publications are below ALERT_FAILED_PUBLICATIONS: no second alert for them.
    expect(sent(/publications_failing/)).toHaveLength(0)
    // Customer data stays out: no connection names, no platform error texts.
    expect(alerts[0]).not.toMatch(/VK one|VK error|503/)

    // The window moves past the failures: resolved, once.
    await check(T + 30 * 60_000)
    await check(T + 31 * 60_000)
    const resolved = sent(/RESOLVED[\s\S]*platform_failing:vk/)
    expect(resolved).toHaveLength(1)
    // It lasted from the round that opened it: of the three at once above (at 12:05, 12:05 and
    // 12:06), whichever committed first, which on a busy machine is sometimes the 12:06 one.
    expect(resolved[0]).toMatch(/Cleared: vk: publishing failed[\s\S]*Lasted (25 min \(12:05|24 min \(12:06)–12:30 UTC\)/)
  })
})

describe('daily AI spend', () => {
  it('over AI_DAILY_BUDGET_USD is told once for the UTC day', async () => {
    const day = Date.parse('2031-04-02T00:30:00.000Z')
    const runs = await Promise.all(
      [2.5, 3].map((costUsd) =>
        payload.create({ collection: 'ai-runs', data: { task: 'article', model: 'fake/model', outcome: 'ok', costUsd, account: tenant.account.id } as never, overrideAccess: true }),
      ),
    )
    await payload.db.drizzle.execute(sql`update ai_runs set created_at = ${new Date(day).toISOString()} where id = any(${sql.param(runs.map((r) => r.id))}::int[])`)
    const check = (now: number) => spendFindings(payload, now).then((findings) => reconcile(['ai_budget'], findings, { now }))
    await check(day + 60_000)
    await check(day + 120_000)
    const alerts = sent(/ALERT[\s\S]*ai_budget:daily/)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toContain('AI spend today (2031-04-02 UTC) is $5.50, over the budget of $5.00')
    // The next UTC day starts from zero.
    await check(day + 86_400_000)
    expect(sent(/RESOLVED[\s\S]*ai_budget:daily/)).toHaveLength(1)
    expect(sent(/RESOLVED[\s\S]*ai_budget:daily/)[0]).toContain('Lasted 23 h 59 min (2031-04-02 00:31–2031-04-03 00:30 UTC)')
  })
})

describe('the hourly cap', () => {
  it('holds back messages over ALERT_MAX_PER_HOUR, says so in the next one, and never resolves what it did not tell', async () => {
    const chat = -1009990003
    const texts = () => telegram.textsTo(chat)
    Object.assign(process.env, { STAFF_ALERT_CHAT_ID: String(chat), ALERT_MAX_PER_HOUR: '2' })
    reloadEnv()
    try {
      const finding = (subject: string) => ({ kind: 'platform_failing' as const, subject, title: `${subject}: failing` })
      const opened = await reconcile(['platform_failing'], ['p1', 'p2', 'p3', 'p4'].map(finding))
      expect(opened.opened.sort()).toEqual(['platform_failing:p1', 'platform_failing:p2', 'platform_failing:p3', 'platform_failing:p4'])
      expect(texts()).toHaveLength(2)

      // A higher cap refills the bucket within seconds: the next message carries the count.
      Object.assign(process.env, { ALERT_MAX_PER_HOUR: '1000' })
      reloadEnv()
      // (Each round a new incident: one held back stays open, untold, like the two above.)
      const subjects = ['p1', 'p2', 'p3', 'p4']
      await waitFor(async () => {
        subjects.push(`p${subjects.length + 1}`)
        await reconcile(['platform_failing'], subjects.map(finding))
        return texts().length > 2
      })
      expect(texts()).toHaveLength(3)
      const held = subjects.length - 3
      expect(texts()[2]).toContain(`${subjects.at(-1)}: failing`)
      expect(texts()[2]).toContain(`(${held} more alert message(s) were held back by ALERT_MAX_PER_HOUR`)

      // A new hour (the bucket emptied), then all clear: resolved messages only for the three the
      // chat was told about.
      await redis().del(`pf:${databaseScope()}:alerts:${chat}:rate`)
      await reconcile(['platform_failing'], [])
      const resolved = texts().filter((t) => t.includes('RESOLVED'))
      expect(resolved).toHaveLength(3)
      expect(resolved.map((t) => /(p\d+): failing/.exec(t)?.[1]).sort()).toEqual(['p1', 'p2', subjects.at(-1)].sort())
    } finally {
      Object.assign(process.env, { STAFF_ALERT_CHAT_ID: String(STAFF_CHAT), ALERT_MAX_PER_HOUR: '1000' })
      reloadEnv()
    }
  })
})

describe('through the worker', () => {
  it(
    'the worker runs alerts.check (the day\'s spend over budget and jobs failing for good reach the staff chat) and backup.run (a failure recorded)',
    async () => {
      await payload.create({ collection: 'ai-runs', data: { task: 'article', model: 'fake/model', outcome: 'ok', costUsd: 1, account: tenant.account.id } as never, overrideAccess: true })
      const backupDir = await mkdtemp(path.join(tmpdir(), 'pf-alerts-backups-'))
      // Five jobs that fail for good (a payload no task accepts), in this file's own queue.
      const utils = await workerUtils()
      for (let i = 0; i < 5; i++) await utils.addJob('notice.send', { not: 'a notice', i }, { maxAttempts: 1 })
      const worker = startWorker({ AI_DAILY_BUDGET_USD: '0.5', BACKUP_INTERVAL_HOURS: '12', PG_DUMP_PATH: '/nonexistent-o7/pg_dump', BACKUP_DIR: backupDir })
      try {
        await addJob('alerts.check', {})
        await addJob('backup.run', { force: true })
        const today = new Date().toISOString().slice(0, 10)
        await waitFor(() => sent(new RegExp(`ALERT[\\s\\S]*AI spend today \\(${today} UTC\\)[\\s\\S]*ai_budget:daily`)).length > 0).catch((error) => {
          throw new Error(`${error}\n${worker.output()}`)
        })
        await waitFor(async () => (await listJobs(payload, 'failed')).filter((j) => j.task === 'notice.send').length >= 5)
        await addJob('alerts.check', {})
        await waitFor(() => sent(/ALERT[\s\S]*jobs_failing:all/).length > 0)
        expect(sent(/ALERT[\s\S]*jobs_failing:all/)[0]).toMatch(/5 jobs failed for good in the last 15 min \(threshold 5\)\.\nnotice\.send × 5\./)
        const failed = await waitFor(async () => {
          const { docs } = await payload.find({ collection: 'backups', where: { error: { contains: '/nonexistent-o7/pg_dump' } }, overrideAccess: true })
          return docs[0]
        })
        expect(failed.status).toBe('failed')
        // Whether it is told depends on the installation's latest backup, which the backup test
        // file changes at the same time; tests/int/backup.int.spec.ts proves that part.
      } finally {
        await worker.term()
        await rm(backupDir, { recursive: true, force: true })
      }
    },
    LONG_TEST_TIMEOUT_MS,
  )
})
