import { Logger, run, type Runner } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { creditsForCost } from '../../src/billing/config'
import { ABANDONED_HOLD_MS, refundAbandonedHolds, reserveGeneration } from '../../src/billing/credits'
import { balanceOf, grantCredits } from '../../src/billing/ledger'
import { requestGeneration } from '../../src/content/generation'
import { queuedJobId } from '../../src/jobs/addJob'
import { workerUtils } from '../../src/jobs/inspect'
import { buildAiTaskList } from '../../src/jobs/taskList'
import { reloadEnv } from '../../src/lib/env'
import type { FakeOpenAI } from '../fakes/openai'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import { holdSectionsAfter, useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant, type Tenant } from '../helpers/fixtures'
import { onPlanWithoutMonthlyCredits } from '../helpers/meteredPlan'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'
import { startWorker } from '../helpers/workerProcess'

/**
 * Credits for AI generations through the real task list in a graphile-worker runner, against the
 * fake model server: what the customer's balance does when a generation succeeds, fails, cannot
 * be paid for, and when billing is off.
 */
/**
 * This file's jobs and workers use a graphile-worker schema of their own: its killed worker process
 * runs the whole task list, and on the shared schema it took other files' publication jobs.
 */
const SCHEMA = 'pf_test_billing_credits'
process.env.GRAPHILE_WORKER_SCHEMA = SCHEMA
reloadEnv()

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
let runner: Runner
const silent = new Logger(() => () => {})

const billing = (on: boolean) => {
  process.env.BILLING_ENABLED = on ? 'true' : 'false'
  reloadEnv()
}

beforeAll(async () => {
  ;({ payload, ai, bot } = world)
  billing(true)
  runner = await run({
    connectionString: process.env.DATABASE_URL,
    schema: SCHEMA,
    concurrency: 2,
    taskList: buildAiTaskList(async () => payload),
    noHandleSignals: true,
    logger: silent,
    preset: { worker: { pollInterval: 200 } },
  })
})
afterAll(async () => {
  await runner?.stop()
})

async function jobRow(id: string) {
  const { rows } = await (await workerUtils()).withPgClient((c) =>
    c.query(`select attempts, max_attempts, last_error, locked_at from "${SCHEMA}"._private_jobs where id = $1`, [id]),
  )
  return rows[0] as { attempts: number; max_attempts: number; last_error: string | null; locked_at: Date | null } | undefined
}

/** Queues a keyword clustering of the tenant's project and waits until it is done or failed for good. */
async function cluster(t: Tenant, maxAttempts = 1): Promise<{ jobKey: string; failed: string | null }> {
  const jobKey = `keywords.cluster:${t.project.id}`
  const job = await (await workerUtils()).addJob('keywords.cluster', { accountId: t.account.id, projectId: t.project.id }, { jobKey, maxAttempts })
  const end = await waitFor(async () => {
    const row = await jobRow(String(job.id))
    if (!row) return { failed: null }
    return row.attempts >= row.max_attempts && !row.locked_at && row.last_error ? { failed: row.last_error } : undefined
  })
  return { jobKey, ...end }
}

const ledgerOf = async (accountId: number) =>
  (await payload.find({ collection: 'credit-ledger', where: { account: { equals: accountId } }, sort: 'id', limit: 100, depth: 0, pagination: false })).docs

const recordedCost = async (accountId: number) =>
  (await payload.find({ collection: 'ai-runs', where: { account: { equals: accountId } }, limit: 100, depth: 0, pagination: false })).docs.reduce((sum, r) => sum + (r.costUsd ?? 0), 0)

describe('credits for AI generations', () => {
  it('a generation is charged its recorded cost times the margin: the estimate is held first and settled after', async () => {
    const t = await createTenant(payload, { name: `Paying ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 1_000, reason: 'test credits', staffUserId: null })
    ai.setModel('test/primary', { cost: 0.0123 })
    const { failed, jobKey } = await cluster(t)
    expect(failed).toBeNull()
    const cost = await recordedCost(t.account.id)
    expect(cost).toBeGreaterThan(0)
    // 0.0123 USD x 100 credits/USD x margin 1.5 = 1.845, rounded up.
    expect(creditsForCost(cost)).toBe(Math.ceil(cost * 150 - 1e-9))
    expect(await balanceOf(payload, t.account.id)).toBe(1_000 - creditsForCost(cost))
    const rows = await ledgerOf(t.account.id)
    expect(rows.map((r) => [r.kind, r.jobRef])).toEqual([['grant', null], ['spend', jobKey], ['spend', jobKey]])
    expect(rows[1]!.credits).toBe(-3)
    expect(rows[2]!.reason).toContain(`= ${creditsForCost(cost)} credits (reserved 3)`)
  })

  it('a generation that fails for good, after a retry, gives back everything it held, once', async () => {
    const t = await createTenant(payload, { name: `Failing ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 50, reason: 'test credits', staffUserId: null })
    ai.setModel('test/primary', { dead: 500 })
    ai.setModel('test/fallback', { dead: 500 })
    try {
      const { failed, jobKey } = await cluster(t, 2)
      expect(failed).toContain('No model answered')
      const rows = await ledgerOf(t.account.id)
      // Two attempts, one hold: reserved once, given back once.
      expect(rows.map((r) => [r.kind, r.credits, r.jobRef])).toEqual([['grant', 50, null], ['spend', -3, jobKey], ['refund', 3, jobKey]])
      expect(await balanceOf(payload, t.account.id)).toBe(50)
      const told = await waitFor(() => bot.calls.find((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId && /failed|не получилось|Try again/i.test(String(c.params.text))))
      expect(told).toBeTruthy()
    } finally {
      ai.setModel('test/primary', {})
      ai.setModel('test/fallback', {})
    }
  })

  it('without credits for the estimate no model is called and the customer is told why', async () => {
    const t = await createTenant(payload, { name: `Broke ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 2, reason: 'not enough', staffUserId: null })
    const { failed } = await cluster(t, 3)
    expect(failed).toContain('Not enough credits')
    expect(ai.requests.filter((r) => JSON.stringify(r.body).includes(t.project.name))).toEqual([])
    const told = await waitFor(() => bot.calls.find((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId))
    expect(told!.params.text).toBe('Not enough credits: your balance is 2, this generation needs 3. Top up or change your plan in /plan.')
    expect(await balanceOf(payload, t.account.id)).toBe(2)
    expect((await ledgerOf(t.account.id)).map((r) => r.kind)).toEqual(['grant'])
  })

  it('an order the balance cannot cover is refused at once, in the customer’s language, and queues nothing', async () => {
    const t = await createTenant(payload, { name: `Orders ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: `кредиты ${Date.now().toString(36)}`, project: t.project.id } as never })
    const account = await payload.update({ collection: 'accounts', id: t.account.id, data: { language: 'ru' } })
    await expect(requestGeneration(payload, account, { kind: 'article', keywordId: keyword.id })).rejects.toMatchObject({
      code: 'billing.no_credits',
      status: 402,
      message: 'Не хватает кредитов: на балансе 0, для этой генерации нужно 23. Пополните баланс или смените тариф в /plan.',
    })
    expect(await queuedJobId(`article.generate:keyword:${keyword.id}`)).toBeNull()
    await grantCredits(payload, { accountId: t.account.id, credits: 23, reason: 'enough for one article', staffUserId: null })
    billing(false)
    try {
      // Billing off: no credits needed (the order is only checked, the job is not waited for here).
      await expect(requestGeneration(payload, account, { kind: 'post', keywordId: keyword.id })).resolves.toMatchObject({ alreadyQueued: false })
    } finally {
      billing(true)
    }
  })

  it('with billing off nothing is charged and generation works as before, with no credits at all', async () => {
    billing(false)
    try {
      const t = await createTenant(payload, { name: `Free ${Date.now().toString(36)}` })
      const { failed } = await cluster(t)
      expect(failed).toBeNull()
      expect(await recordedCost(t.account.id)).toBeGreaterThan(0)
      expect(await ledgerOf(t.account.id)).toEqual([])
      expect(await balanceOf(payload, t.account.id)).toBe(0)
    } finally {
      billing(true)
    }
  })
})

describe('credits when the worker dies mid-generation', () => {
  it('a worker killed mid-article: the job run again keeps its one hold and is charged once, for every call recorded', async () => {
    await runner.stop()
    const t = await createTenant(payload, { name: `Crash ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 1_000, reason: 'test credits', staffUserId: null })
    const phrase = `сбой ${Date.now().toString(36)}`
    const keyword = await payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })
    const jobKey = `article.generate:keyword:${keyword.id}`
    ai.setModel('test/primary', { tokensPerSecond: 200 })
    // Killed with two sections saved and two in flight (not a finished job), however slow the machine.
    const release = holdSectionsAfter(ai, phrase, 2)
    const utils = await workerUtils()
    const job = await utils.addJob('article.generate', { accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false }, { jobKey, maxAttempts: 5 })
    const articleOf = async () => (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: keyword.id } }, limit: 1, depth: 0 })).docs[0]
    const worker = startWorker({ BILLING_ENABLED: 'true', WORKER_AI_CONCURRENCY: '1', GRAPHILE_WORKER_SCHEMA: SCHEMA })
    try {
      await waitFor(async () => ((await articleOf())?.generation?.sections?.length ?? 0) >= 2)
    } finally {
      await worker.kill9()
    }
    // Held once, not settled: the worker died mid-way.
    expect((await ledgerOf(t.account.id)).map((r) => [r.kind, r.credits])).toEqual([['grant', 1_000], ['spend', -23]])
    const { rows } = await utils.withPgClient((c) => c.query(`select locked_by from "${SCHEMA}"._private_jobs where id = $1`, [job.id]))
    await utils.forceUnlockWorkers([rows[0].locked_by])
    ai.setModel('test/primary', {})
    release()
    runner = await run({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, concurrency: 2, taskList: buildAiTaskList(async () => payload), noHandleSignals: true, logger: silent, preset: { worker: { pollInterval: 200 } } })
    await waitFor(async () => (await articleOf())?.generation?.state === 'done')
    const rowsAfter = await waitFor(async () => {
      const all = await ledgerOf(t.account.id)
      return all.length === 3 ? all : undefined
    })
    expect(rowsAfter.map((r) => [r.kind, r.jobRef])).toEqual([['grant', null], ['spend', jobKey], ['spend', jobKey]])
    // Every call of both runs (those the killed worker made included) is in the one charge.
    const cost = await recordedCost(t.account.id)
    expect(await balanceOf(payload, t.account.id)).toBe(1_000 - creditsForCost(cost))
  }, LONG_TEST_TIMEOUT_MS)
})

describe('billing fixes (BF2b)', () => {
  it('a generation that succeeded but was never settled is charged its recorded cost by the sweep, not given back', async () => {
    const t = await createTenant(payload, { name: `Unsettled ${Date.now().toString(36)}` })
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 100, reason: 'test credits', staffUserId: null })
    const jobRef = `article.generate:unsettled-${Date.now().toString(36)}`
    const hold = await reserveGeneration(payload, { accountId: t.account.id, kind: 'article', jobRef })
    expect(hold!.reserved).toBeGreaterThan(0)
    // The model answered (recorded), then settling failed: the hold is still open.
    await payload.create({ collection: 'ai-runs', data: { task: 'article', model: 'test/primary', outcome: 'ok', costUsd: 0.02, account: t.account.id, jobKey: jobRef } as never })
    const later = new Date(Date.now() + ABANDONED_HOLD_MS + 60_000)
    expect(await refundAbandonedHolds(payload, later)).toBe(1)
    expect(await refundAbandonedHolds(payload, later)).toBe(0)
    expect(await balanceOf(payload, t.account.id)).toBe(100 - creditsForCost(0.02))
    expect((await ledgerOf(t.account.id)).some((r) => r.kind === 'refund')).toBe(false)
  })
})
