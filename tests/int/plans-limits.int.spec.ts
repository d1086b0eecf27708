import { randomBytes } from 'node:crypto'

import { sql } from '@payloadcms/db-postgres'
import { Logger, run, type Runner } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { consoleKeyPrefix } from '../../src/bot/console/session'
import { addJob } from '../../src/jobs/addJob'
import { workerUtils } from '../../src/jobs/inspect'
import { buildAiTaskList } from '../../src/jobs/taskList'
import { consoleChatId } from '../../src/telegram/console/store'
import { env, reloadEnv } from '../../src/lib/env'
import type { Account, Plan } from '../../src/payload-types'
import { defaultPlan, effectivePlan, forgetPlans } from '../../src/usage/limits'
import { t } from '../../src/i18n'
import { settlePayment } from '../../src/billing/payments'
import { fakeAiEnv, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai'
import { createStaff, createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'
import { waitFor } from '../helpers/wait'
import { startHarness, verifiedUser, type Harness, type TestUser } from './bot-harness'

/**
 * Plans are rows staff edit in the admin, and their limits bind every face at once: the bot, REST
 * and GraphQL with the account's API key, and the worker's jobs. Staff change a plan (or the
 * account's plan) through the admin's REST API and the very next attempt anywhere obeys it.
 *
 * This file's jobs run in a graphile-worker schema of its own, so its worker takes no other test
 * file's jobs (they share the run's database).
 */
process.env.GRAPHILE_WORKER_SCHEMA = 'pf_test_plans_limits'

const world = {} as { payload: Payload; ai: FakeOpenAI }
let h: Harness
let admin: { auth: Auth }

beforeAll(async () => {
  // A fake model server for the worker's AI jobs; no payment provider is configured (billing
  // off), so only the plan's limits stand between an order and the model.
  world.ai = await startFakeOpenAI()
  Object.assign(process.env, fakeAiEnv(world.ai))
  reloadEnv()
  world.payload = await testPayload()
  h = await startHarness('plans')
  admin = await createStaff(world.payload, ['admin'])
})
afterAll(async () => {
  await h?.close()
  await world.ai?.close()
})

const uid = () => randomBytes(3).toString('hex')

type Limits = Plan['limits']
const FREE_LIKE: Limits = { maxProjects: 2, maxConnections: 3, dailyGenerations: 3, dailySpendUsd: 0.5 }

async function createPlan(code: string, limits: Limits, extra: Record<string, unknown> = {}): Promise<Plan> {
  const res = await rest('POST', '/plans', {
    auth: admin.auth,
    body: { code, name: { ru: `Тест ${code}`, en: `Test ${code}` }, limits, monthlyCredits: 100, ...extra },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json.doc as Plan
}

async function planByCode(code: string): Promise<Plan> {
  const res = await rest('GET', `/plans?where[code][equals]=${code}&depth=0`, { auth: admin.auth })
  expect(res.status).toBe(200)
  return res.json.docs[0] as Plan
}

/** What staff do in the admin: change some of a plan's limits (the admin's REST API, as staff). */
async function setLimits(code: string, patch: Partial<Limits>) {
  const plan = await planByCode(code)
  const { maxProjects, maxConnections, dailyGenerations, dailySpendUsd } = plan.limits
  const res = await rest('PATCH', `/plans/${plan.id}`, {
    auth: admin.auth,
    body: { limits: { maxProjects, maxConnections, dailyGenerations, dailySpendUsd, ...patch } },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
}

/** A customer of the bot who also holds an API key, on `plan`. */
async function customer(plan: string, language: 'ru' | 'en' = 'ru'): Promise<{ user: TestUser; account: Account; auth: Auth }> {
  const { user, account } = await verifiedUser(h, { language })
  const key = randomBytes(24).toString('hex')
  const res = await rest('PATCH', `/accounts/${account.id}`, { auth: admin.auth, body: { plan, enableAPIKey: true, apiKey: key, language } })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return { user, account: res.json.doc as Account, auth: { apiKey: { collection: 'accounts', key } } }
}

const systemProject = (account: Account, name: string) =>
  world.payload.create({ collection: 'projects', data: { name, account: account.id, reviewPolicy: 'owner', timezone: 'Europe/Moscow', language: 'ru' } })

describe('limits follow the plan on every face at once', () => {
  it('projects: staff lower and raise maxProjects in the admin; the bot, REST and GraphQL obey the next attempt; a new plan for the account applies at once', async () => {
    const code = `proj-${uid()}`
    await createPlan(code, { ...FREE_LIKE, maxProjects: 5 })
    const { user, account, auth } = await customer(code)
    await systemProject(account, 'Первый')

    await setLimits(code, { maxProjects: 1 })
    // The bot tells it before the conversation starts, with the way to upgrade.
    await user.press('p:new')
    expect(user.lastText()).toContain(`Тариф «Тест ${code}» позволяет проектов: 1, у вас уже 1.`)
    expect(user.lastText()).toContain('/plan')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(expect.arrayContaining(['b:pl', 'b:pk']))
    expect((await h.session(user.id)).flow).toBeUndefined()
    const refused = await rest('POST', '/projects', { auth, body: { name: 'Второй', timezone: 'UTC' } })
    expect(refused.status).toBe(402)
    expect(refused.json.errors[0].data.code).toBe('plan.projects_limit')
    expect(refused.json.errors[0].message).toContain(`Тариф «Тест ${code}» позволяет проектов: 1`)
    const viaGraphql = await gql(`mutation { createProject(data: { name: "Второй", timezone: "UTC", language: ru, reviewPolicy: staff }) { id } }`, { auth })
    expect(viaGraphql.json.data?.createProject ?? null).toBeNull()
    expect(viaGraphql.json.errors?.[0]?.message).toContain('смените тариф командой /plan')

    await setLimits(code, { maxProjects: 2 })
    expect((await rest('POST', '/projects', { auth, body: { name: 'Второй', timezone: 'UTC' } })).status).toBe(201)
    await user.press('p:new')
    expect(user.lastText()).toContain('позволяет проектов: 2, у вас уже 2.')

    await setLimits(code, { maxProjects: 3 })
    const third = await gql(`mutation { createProject(data: { name: "Третий", timezone: "UTC", language: ru, reviewPolicy: staff }) { id } }`, { auth })
    expect(third.json.errors).toBeUndefined()
    expect(third.json.data.createProject.id).toEqual(expect.any(Number))
    expect((await world.payload.count({ collection: 'projects', where: { account: { equals: account.id } } })).totalDocs).toBe(3)

    // Staff move the account to the free plan (2 projects): the next create is refused at once.
    expect((await rest('PATCH', `/accounts/${account.id}`, { auth: admin.auth, body: { plan: 'free' } })).status).toBe(200)
    const onFree = await rest('POST', '/projects', { auth, body: { name: 'Четвёртый', timezone: 'UTC' } })
    expect(onFree.status).toBe(402)
    expect(onFree.json.errors[0].message).toContain('Тариф «Free» позволяет проектов: 2, у вас уже 3.')
    // Staff themselves are not limited.
    expect((await rest('POST', '/projects', { auth: admin.auth, body: { name: 'От поддержки', account: account.id, timezone: 'UTC' } })).status).toBe(201)
  })

  it('connections: the bot, REST and GraphQL refuse the connection past maxConnections, and take it once staff raise the limit', async () => {
    const code = `conn-${uid()}`
    await createPlan(code, { ...FREE_LIKE, maxConnections: 1 })
    const { user, account, auth } = await customer(code, 'en')
    const project = await systemProject(account, 'Channels')
    const vk = (name: string) =>
      rest('POST', '/connections', {
        auth,
        body: { displayName: name, platform: 'vk', project: project.id, credentials: { groupId: 42, accessToken: `vk1.a.${randomBytes(24).toString('hex')}` } },
      })
    const graphqlVk = () =>
      gql(`mutation ($c: JSON!) { createConnection(data: { displayName: "VK 3", platform: vk, status: active, project: ${project.id}, account: ${account.id}, credentials: $c }) { id } }`, {
        auth,
        variables: { c: { groupId: 43, accessToken: `vk1.a.${randomBytes(24).toString('hex')}` } },
      })
    expect((await vk('VK 1')).status).toBe(201)

    const second = await vk('VK 2')
    expect(second.status).toBe(402)
    expect(second.json.errors[0].data.code).toBe('plan.connections_limit')
    expect(second.json.errors[0].message).toBe(`Plan “Test ${code}” allows 1 connections and you have 1. To add another, change your plan with /plan or delete a connection you no longer need.`)
    expect((await graphqlVk()).json.errors?.[0]?.message).toContain('allows 1 connections')
    // The bot says so before asking for any credentials.
    await user.press(`n:ap:${project.id}:v`)
    expect(user.lastText()).toContain('allows 1 connections')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(expect.arrayContaining(['b:pl', 'b:pk']))
    expect((await h.session(user.id)).flow).toBeUndefined()

    await setLimits(code, { maxConnections: 2 })
    expect((await vk('VK 2')).status).toBe(201)
    expect((await graphqlVk()).json.errors?.[0]?.message).toContain('allows 2 connections and you have 2')
    await setLimits(code, { maxConnections: 3 })
    const third = await graphqlVk()
    expect(third.json.errors).toBeUndefined()
    await setLimits(code, { maxConnections: 4 })
    await user.press(`n:ap:${project.id}:v`)
    expect((await h.session(user.id)).flow?.name).toBe('conn.new')
  })

  it('daily generations: the bot, a REST and a GraphQL change request share one count that follows the plan as staff change it', async () => {
    const code = `gen-${uid()}`
    await createPlan(code, { ...FREE_LIKE, dailyGenerations: 10 })
    const { user, account, auth } = await customer(code)
    const project = await systemProject(account, 'Генерации')
    const keyword = (phrase: string) => world.payload.create({ collection: 'keywords', data: { phrase, project: project.id } as never })
    const [k1, k2, k3, k4] = [await keyword('кофе в зёрнах'), await keyword('кофемолка'), await keyword('турка'), await keyword('френч-пресс')]
    const inReview = (kw: { id: number }, title: string) =>
      world.payload.create({ collection: 'articles', data: { title, project: project.id, mainKeyword: kw.id, workflowStatus: 'in_review' } as never })
    const [a1, a2] = [await inReview(k2, 'Кофемолки'), await inReview(k3, 'Турки')]
    const changeRequest = (id: number) => rest('POST', `/articles/${id}/move`, { auth, body: { to: 'changes_requested', note: 'Добавьте цены и сравнение' } })
    const graphqlChangeRequest = (id: number) =>
      gql(`mutation { updateArticle(id: ${id}, data: { workflowStatus: changes_requested, reviewNote: "Добавьте цены" }) { id workflowStatus } }`, { auth })

    await setLimits(code, { dailyGenerations: 0 })
    await user.press(`c:gp:${k1.id}`)
    expect(user.lastText()).toContain(`Тариф «Тест ${code}»: использовано 0 из 0 в день.`)
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(['b:pl', 'b:pk', 'm:home'])
    const rest0 = await changeRequest(a1.id)
    expect(rest0.status).toBe(402)
    expect(rest0.json.errors[0].data.code).toBe('usage.daily_generations')
    expect(rest0.json.errors[0].message).toContain(`тариф «Тест ${code}», использовано 0 из 0 в день`)
    expect(rest0.json.errors[0].message).toContain('/plan')
    expect((await world.payload.findByID({ collection: 'articles', id: a1.id })).workflowStatus).toBe('in_review')
    const gql0 = await graphqlChangeRequest(a2.id)
    expect(gql0.json.errors?.[0]?.message).toContain('На сегодня генерации закончились')

    await setLimits(code, { dailyGenerations: 2 })
    await user.press(`c:gp:${k1.id}`)
    expect(user.lastText()).toContain('Пишу пост')
    const rest1 = await changeRequest(a1.id)
    expect(rest1.status, JSON.stringify(rest1.json)).toBe(200)
    expect((await world.payload.findByID({ collection: 'articles', id: a1.id })).workflowStatus).toBe('changes_requested')
    // Two of two used (one in the bot, one over REST): GraphQL hears the same count.
    const gql1 = await graphqlChangeRequest(a2.id)
    expect(gql1.json.errors?.[0]?.message).toContain('использовано 2 из 2 в день')
    await user.press(`c:gp:${k4.id}`)
    expect(user.lastText()).toContain('использовано 2 из 2 в день')

    await setLimits(code, { dailyGenerations: 3 })
    const gql2 = await graphqlChangeRequest(a2.id)
    expect(gql2.json.errors).toBeUndefined()
    expect(gql2.json.data.updateArticle.workflowStatus).toBe('changes_requested')
  })

  it('staff acting as a customer in the admin bot console meet that customer’s daily generations, with the upgrade buttons', async () => {
    const code = `console-${uid()}`
    await createPlan(code, { ...FREE_LIKE, dailyGenerations: 1 })
    const editor = await createStaff(world.payload, ['editor'])
    const post = async (body: Record<string, unknown>) => (await rest('POST', '/bot-console', { auth: editor.auth, body: { language: 'en', ...body } })).json
    type Chat = { messages: Array<{ id: number; from: string; text: string; keyboard?: Array<Array<{ callbackData?: string }>> }> }
    const lastBot = (chat: Chat) => chat.messages.filter((m) => m.from === 'bot').at(-1)!
    await post({ kind: 'reset', account: true })
    const started: Chat = await post({ kind: 'text', text: '/start' })
    const chatId = consoleChatId(editor.user.id)
    const { captcha } = JSON.parse((await h.redis.get(`${consoleKeyPrefix()}session:${chatId}`))!)
    await post({ kind: 'button', messageId: lastBot(started).id, data: `cap:${captcha.answer}` })
    const account = (await world.payload.find({ collection: 'accounts', where: { telegramId: { equals: chatId } } })).docs[0]!
    expect((await rest('PATCH', `/accounts/${account.id}`, { auth: admin.auth, body: { plan: code } })).status).toBe(200)
    const project = await systemProject(account, 'Console')
    const [k1, k2] = [
      await world.payload.create({ collection: 'keywords', data: { phrase: 'console one', project: project.id } as never }),
      await world.payload.create({ collection: 'keywords', data: { phrase: 'console two', project: project.id } as never }),
    ]
    const first: Chat = await post({ kind: 'button', messageId: lastBot(started).id, data: `c:gp:${k1.id}` })
    expect(lastBot(first).text).toContain('Writing the post')
    const second: Chat = await post({ kind: 'button', messageId: lastBot(first).id, data: `c:gp:${k2.id}` })
    expect(lastBot(second).text).toContain(`Plan “Test ${code}”: 1 of 1 a day used.`)
    expect((lastBot(second).keyboard ?? []).flat().map((b) => b.callbackData)).toEqual(['b:pl', 'b:pk', 'm:home'])
  })

  it('daily spend: a job stops before any model call while the plan allows nothing, and runs once staff raise it', async () => {
    const code = `spend-${uid()}`
    await createPlan(code, FREE_LIKE)
    const { account } = await customer(code)
    const project = await systemProject(account, 'Расходы')
    const runner: Runner = await run({
      connectionString: env().DATABASE_URL,
      schema: env().GRAPHILE_WORKER_SCHEMA,
      concurrency: 1,
      taskList: buildAiTaskList(async () => world.payload),
      noHandleSignals: true,
      logger: new Logger(() => () => {}),
      preset: { worker: { pollInterval: 200 } },
    })
    const jobRow = async (id: string) =>
      (
        await (await workerUtils()).withPgClient((c) =>
          c.query<{ last_error: string | null; locked_at: Date | null }>(`select last_error, locked_at from "${env().GRAPHILE_WORKER_SCHEMA}"._private_jobs where id = $1`, [id]),
        )
      ).rows[0]
    try {
      await setLimits(code, { dailySpendUsd: 0 })
      const stopped = await addJob('keywords.cluster', { accountId: account.id, projectId: project.id })
      const row = await waitFor(async () => {
        const r = await jobRow(stopped.jobId)
        return r?.last_error && !r.locked_at ? r : undefined
      })
      // The customer's words (sent to their chat as well), naming the plan and what to do.
      expect(row.last_error).toContain('stopped before any model call: Дневной бюджет генерации по вашему тарифу исчерпан ($0.00 из $0.00')
      expect(row.last_error).toContain(`тариф «Тест ${code}»`)
      expect(row.last_error).toContain('/plan')
      // No model was called for the account (every call is recorded as an AI run before it starts).
      expect((await world.payload.count({ collection: 'ai-runs', where: { account: { equals: account.id } } })).totalDocs).toBe(0)

      await setLimits(code, { dailySpendUsd: 5 })
      const ran = await addJob('keywords.cluster', { accountId: account.id, projectId: project.id })
      await waitFor(async () => !(await jobRow(ran.jobId)))
      const clustered = await world.payload.count({ collection: 'keywords', where: { project: { equals: project.id }, source: { equals: 'ai' } } })
      expect(clustered.totalDocs).toBeGreaterThan(0)
    } finally {
      await runner.stop()
    }
  }, 300_000)
})

describe('the plan an account holds', () => {
  it('only existing plan codes are accepted; a plan in use cannot be deleted (BF2b); a plan gone later leaves its accounts on the default plan’s limits', async () => {
    const code = `gone-${uid()}`
    const gone = await createPlan(code, { ...FREE_LIKE, maxProjects: 10 })
    const tenant = await createTenant(world.payload, { name: 'Fallback' })
    const unknown = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: admin.auth, body: { plan: 'no-such-plan' } })
    expect(unknown.status).toBe(422)
    expect(unknown.json.errors[0].data.code).toBe('plan.unknown')
    expect((await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: admin.auth, body: { plan: code } })).status).toBe(200)
    // The customer cannot choose a plan: 403 naming the field.
    const own = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: tenant.auth, body: { plan: 'agency' } })
    expect(own.status).toBe(403)
    expect(JSON.stringify(own.json)).toContain('plan')

    expect((await rest('POST', '/projects', { auth: tenant.auth, body: { name: 'Два', timezone: 'UTC' } })).status).toBe(201)
    expect((await rest('POST', '/projects', { auth: tenant.auth, body: { name: 'Три', timezone: 'UTC' } })).status).toBe(201)
    // BF2b: a plan an account is on cannot be deleted (retire it instead), translated.
    const refusedDelete = await rest('DELETE', `/plans/${gone.id}`, { auth: admin.auth, lang: 'en' })
    expect(refusedDelete.status).toBe(409)
    expect(refusedDelete.json.errors[0].message).toBe(t('en', 'plans.in_use', { accounts: 1, subscriptions: 0 }))
    const refusedRu = await rest('DELETE', `/plans/${gone.id}`, { auth: admin.auth, lang: 'ru' })
    expect(refusedRu.json.errors[0].message).toBe(t('ru', 'plans.in_use', { accounts: 1, subscriptions: 0 }))
    expect(await world.payload.count({ collection: 'plans', where: { code: { equals: code } } })).toMatchObject({ totalDocs: 1 })
    // A plan gone another way (removed in the database) still leaves its accounts on the default plan's limits.
    await world.payload.db.drizzle.execute(sql`delete from plans where id = ${gone.id}`)
    await forgetPlans()
    const account = await world.payload.findByID({ collection: 'accounts', id: tenant.account.id })
    expect(account.plan).toBe(code)
    expect(await effectivePlan(world.payload, account)).toMatchObject({ code: 'free', fallback: true, limits: { maxProjects: 2 } })
    const refused = await rest('POST', '/projects', { auth: tenant.auth, body: { name: 'Четыре', timezone: 'UTC' }, lang: 'en' })
    expect(refused.status).toBe(402)
    expect(refused.json.errors[0].message).toBe('Plan “Free” allows 2 projects and you have 3. To add another, change your plan with /plan or delete a project you no longer need.')
  })

  it('BF2b: a plan a running subscription pays for cannot be deleted either', async () => {
    const code = `paid-${uid()}`
    const plan = await createPlan(code, FREE_LIKE)
    const tenant = await createTenant(world.payload, { name: 'Subscriber' })
    await settlePayment(world.payload, {
      provider: 'stars', providerPaymentId: `bf2b-${uid()}`, chargeId: `ch-${uid()}`, amount: 100, currency: 'XTR', paidAt: new Date(),
      accountId: tenant.account.id, product: { kind: 'plan', code }, providerSubscriptionId: `sub-${uid()}`,
    })
    // Staff moved the account elsewhere by hand: only the subscription still pays for the plan.
    await world.payload.update({ collection: 'accounts', id: tenant.account.id, data: { plan: 'free' } })
    const refused = await rest('DELETE', `/plans/${plan.id}`, { auth: admin.auth, lang: 'en' })
    expect(refused.status).toBe(409)
    expect(refused.json.errors[0].message).toBe(t('en', 'plans.in_use', { accounts: 0, subscriptions: 1 }))
  })

  it('a new account gets the default plan; BILLING_DEFAULT_PLAN names another', async () => {
    const { account } = await verifiedUser(h)
    expect(account.plan).toBe('free')
    const code = `promo-${uid()}`
    await createPlan(code, FREE_LIKE)
    process.env.BILLING_DEFAULT_PLAN = code
    reloadEnv()
    try {
      expect((await defaultPlan(world.payload)).code).toBe(code)
      const { account: promoted } = await verifiedUser(h)
      expect(promoted.plan).toBe(code)
    } finally {
      delete process.env.BILLING_DEFAULT_PLAN
      reloadEnv()
    }
  })
})

describe('the catalogue', () => {
  it('customers and visitors read the plans on sale, without provider-internal fields; they cannot write them', async () => {
    const code = `cat-${uid()}`
    const plan = await createPlan(code, FREE_LIKE, { prices: [{ currency: 'XTR', amount: 250, stripePriceId: 'price_internal_1' }, { currency: 'RUB', amount: 49_000 }] })
    const retired = await createPlan(`old-${uid()}`, FREE_LIKE, { active: false })
    const tenant = await createTenant(world.payload, { name: 'Catalogue' })

    const listed = await rest('GET', '/plans?limit=100&depth=0', { auth: tenant.auth })
    expect(listed.status).toBe(200)
    const codes = listed.json.docs.map((p: Plan) => p.code)
    expect(codes).toEqual(expect.arrayContaining(['free', 'starter', 'pro', 'agency', code]))
    expect(codes).not.toContain(retired.code)
    const mine = listed.json.docs.find((p: Plan) => p.code === code)
    expect(mine.prices).toEqual([expect.objectContaining({ currency: 'XTR', amount: 250 }), expect.objectContaining({ currency: 'RUB', amount: 49_000 })])
    expect(JSON.stringify(mine)).not.toContain('price_internal_1')
    expect((await rest('GET', '/plans?limit=100&depth=0')).json.docs.map((p: Plan) => p.code)).toContain(code)
    const packs = await rest('GET', '/credit-packs?depth=0', { auth: tenant.auth })
    expect(packs.json.docs.map((p: { credits: number }) => p.credits)).toEqual(expect.arrayContaining([500, 2000, 10000]))

    const graphql = await gql(`{ Plans(where: { code: { equals: "${code}" } }) { docs { code prices { currency amount stripePriceId } } } }`, { auth: tenant.auth })
    expect(graphql.json.data.Plans.docs[0].prices[0]).toEqual({ currency: 'XTR', amount: 250, stripePriceId: null })
    const asStaff = await gql(`{ Plans(where: { code: { equals: "${code}" } }) { docs { prices { stripePriceId } } } }`, { auth: admin.auth })
    expect(asStaff.json.data.Plans.docs[0].prices[0].stripePriceId).toBe('price_internal_1')

    expect((await rest('POST', '/plans', { auth: tenant.auth, body: { code: `mine-${uid()}`, name: { ru: 'x', en: 'x' }, limits: FREE_LIKE } })).status).toBe(403)
    expect((await rest('PATCH', `/plans/${plan.id}`, { auth: tenant.auth, body: { limits: { ...FREE_LIKE, maxProjects: 99 } } })).status).toBe(403)
    expect((await rest('DELETE', `/plans/${plan.id}`, { auth: tenant.auth })).status).toBe(403)
    const mutation = await gql(`mutation { updatePlan(id: ${plan.id}, data: { monthlyCredits: 1000000 }) { id } }`, { auth: tenant.auth })
    expect(mutation.json.errors?.length).toBeGreaterThan(0)
    expect((await planByCode(code)).monthlyCredits).toBe(100)
    // A code is what accounts and payments refer to: staff cannot change it either.
    expect((await rest('PATCH', `/plans/${plan.id}`, { auth: admin.auth, body: { code: `${code}-x` } })).status).toBe(403)
  })

  it('exactly one plan is the default: marking another moves the mark; the default cannot be unmarked, retired or deleted', async () => {
    const code = `def-${uid()}`
    const plan = await createPlan(code, FREE_LIKE)
    const free = await planByCode('free')
    const defaults = async () => (await world.payload.find({ collection: 'plans', where: { isDefault: { equals: true } }, depth: 0 })).docs.map((p) => p.code)
    try {
      expect((await rest('PATCH', `/plans/${plan.id}`, { auth: admin.auth, body: { isDefault: true } })).status).toBe(200)
      expect(await defaults()).toEqual([code])
      const unmark = await rest('PATCH', `/plans/${plan.id}`, { auth: admin.auth, body: { isDefault: false }, lang: 'en' })
      expect(unmark.status).toBe(422)
      expect(unmark.json.errors[0].message).toContain('There must always be a default plan')
      expect((await rest('PATCH', `/plans/${plan.id}`, { auth: admin.auth, body: { active: false } })).status).toBe(422)
      expect((await rest('DELETE', `/plans/${plan.id}`, { auth: admin.auth })).status).toBe(422)
      // The database keeps it too: a second default row is refused by its unique index.
      await expect(world.payload.db.drizzle.execute(sql`update plans set is_default = true where code = 'free'`)).rejects.toThrow()
    } finally {
      expect((await rest('PATCH', `/plans/${free.id}`, { auth: admin.auth, body: { isDefault: true } })).status).toBe(200)
    }
    expect(await defaults()).toEqual(['free'])
  })
})
