import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'

import { AiOutputError, generateJson, streamPlainText, type CallContext } from '../../src/ai/call'
import { clusterKeywords } from '../../src/ai/keywords'
import { pickWeighted, seedPrompts } from '../../src/ai/prompts'
import { approvalByVariant } from '../../src/ai/variants'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'
import { fakeAiEnv, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

let payload: Payload
let ai: FakeOpenAI
let t: Tenant
const savedEnv = { ...process.env }
const log = logger().child({ test: 'ai-models' })

function useProvider(provider: 'openrouter' | 'openai-compatible', extra: Record<string, string> = {}) {
  Object.assign(process.env, fakeAiEnv(ai, provider), extra)
  delete process.env.TELEGRAM_BOT_TOKEN
  reloadEnv()
}

beforeAll(async () => {
  ai = await startFakeOpenAI()
  useProvider('openrouter')
  payload = await testPayload()
  t = await createTenant(payload)
})

afterAll(async () => {
  await ai?.close()
  process.env = savedEnv
  reloadEnv()
})

beforeEach(() => ai.reset())

const runsFor = async (jobKey: string) =>
  (await payload.find({ collection: 'ai-runs', where: { jobKey: { equals: jobKey } }, sort: 'createdAt', pagination: false, limit: 50, depth: 0 })).docs

const Faq = z.object({ items: z.array(z.object({ question: z.string(), answer: z.string() })).min(1) })
const ctx = (jobKey: string): CallContext => ({ payload, log, scope: { accountId: t.account.id, projectId: t.project.id, jobKey } })
const ask = (jobKey: string) => generateJson('article.faq', ctx(jobKey), { system: 'FAQ', prompt: 'Кофе' }, Faq)

describe('model calls', () => {
  it('falls back to the next model on our side when the primary is dead, and records both calls', async () => {
    useProvider('openai-compatible')
    ai.setModel('test/primary', { dead: 500 })
    const answer = await ask('fallback-1')
    expect(answer.items[0].question).toBe('Сколько хранится кофе в зернах?')
    const runs = await runsFor('fallback-1')
    expect(runs.map((r) => [r.model, r.outcome])).toEqual([['test/primary', 'error'], ['test/fallback', 'ok']])
    expect(runs[0].error).toContain('500')
    expect(ai.requests.map((r) => r.model)).toEqual(['test/primary', 'test/fallback'])
  })

  it("on OpenRouter sends the chain as `models`, so OpenRouter's own fallback answers in one call", async () => {
    useProvider('openrouter')
    ai.setModel('test/primary', { dead: 404 })
    await ask('fallback-2')
    expect(ai.requests).toHaveLength(1)
    expect(ai.requests[0].models).toEqual(['test/primary', 'test/fallback'])
    expect((await runsFor('fallback-2')).map((r) => [r.model, r.outcome])).toEqual([['test/fallback', 'ok']])
  })

  it('moves on when a model is too slow (timeout recorded)', async () => {
    useProvider('openai-compatible', { AI_TIMEOUT_MS: '1000' })
    ai.setModel('test/primary', { dead: 'hang' })
    const started = Date.now()
    await ask('timeout-1')
    // The 'timeout' run says the call was given up; the time says it was the configured second and
    // not the 90 s default. Bounded well above the second (not at 4 s), so that the calls around
    // it (two ai-runs writes, the fallback's answer) may be slow on a busy machine.
    expect(Date.now() - started).toBeLessThan(30_000)
    expect((await runsFor('timeout-1')).map((r) => r.outcome)).toEqual(['timeout', 'ok'])
  })

  it('repairs fenced JSON with trailing commas and accepts it', async () => {
    useProvider('openai-compatible')
    ai.setModel('test/primary', { broken: 'fenced' })
    await expect(ask('repair-1')).resolves.toMatchObject({ items: [{ question: 'Сколько хранится кофе в зернах?' }, {}] })
    ai.setModel('test/primary', { broken: 'trailing' })
    await expect(ask('repair-2')).resolves.toMatchObject({ items: [{}, { question: 'Какой помол нужен для турки?' }] })
    expect((await runsFor('repair-2')).map((r) => [r.model, r.outcome])).toEqual([['test/primary', 'ok']])
    ai.setModel('test/primary', { broken: 'truncated' })
    const cut = await ask('repair-3')
    expect(cut.items[0]).toEqual({ question: 'Сколько хранится кофе в зернах?', answer: 'Около месяца после обжарки.' })
  })

  it('restarts a stream with the next model when the first dies mid-stream', async () => {
    useProvider('openai-compatible')
    ai.setModel('test/primary', { dieAfterChunks: 5 })
    const seen: string[] = []
    let restarts = 0
    const text = await streamPlainText(
      'article.section',
      ctx('stream-1'),
      { system: 'Пиши', prompt: 'Раздел: Обжарка\nГлавный запрос: кофе в зернах' },
      (soFar) => seen.push(soFar),
      () => (restarts += 1),
    )
    expect(restarts).toBe(1)
    expect(text.startsWith('Кофе в зернах — ')).toBe(true)
    expect(text).toContain('**Обжарка**')
    expect(seen.length).toBeGreaterThan(5)
    expect((await runsFor('stream-1')).map((r) => [r.model, r.outcome])).toEqual([['test/primary', 'error'], ['test/fallback', 'ok']])
  })

  it('gives a clear error when no model returns usable JSON, recording each unusable answer', async () => {
    useProvider('openai-compatible')
    ai.setModel('test/primary', { broken: 'garbage' })
    ai.setModel('test/fallback', { broken: 'garbage' })
    const error = await ask('garbage-1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AiOutputError)
    expect((error as Error).message).toMatch(/Model output for article\.faq was unusable: test\/primary: invalid_output \(not JSON even after repair/)
    const runs = await runsFor('garbage-1')
    expect(runs.map((r) => r.outcome)).toEqual(['invalid_output', 'invalid_output'])
    expect(runs[0].outputTokens).toBeGreaterThan(0)
  })

  it('records tokens and the cost OpenRouter reports, or prices it from AI_PRICES for servers that report none', async () => {
    useProvider('openrouter')
    ai.setModel('test/primary', { cost: 0.0123 })
    await ask('cost-1')
    const [reported] = await runsFor('cost-1')
    expect(reported).toMatchObject({ outcome: 'ok', costUsd: 0.0123, account: t.account.id, project: t.project.id })
    expect(reported.inputTokens).toBeGreaterThan(0)
    expect(reported.outputTokens).toBeGreaterThan(0)
    expect(reported.latencyMs).toBeGreaterThanOrEqual(0)

    useProvider('openai-compatible', { AI_PRICES: JSON.stringify({ 'test/primary': { input: 1000, output: 2000 } }) })
    ai.setModel('test/primary', { cost: false })
    await ask('cost-2')
    const [priced] = await runsFor('cost-2')
    expect(priced.costUsd).toBeCloseTo((priced.inputTokens! * 1000 + priced.outputTokens! * 2000) / 1_000_000, 8)
    useProvider('openai-compatible', { AI_PRICES: '' })
  })
})

describe('prompts', () => {
  it('seeds the shipped templates once, keeps staff edits, and records the variant picked by weight', async () => {
    await seedPrompts(payload)
    const { docs } = await payload.find({ collection: 'prompts', where: { task: { equals: 'keywords.cluster' }, language: { equals: 'ru' } }, limit: 10 })
    expect(docs).toHaveLength(1)
    await payload.update({ collection: 'prompts', id: docs[0].id, data: { template: `${docs[0].template}\nПравка редактора.`, weight: 0 } })
    expect(await seedPrompts(payload)).toBe(0)
    expect((await payload.findByID({ collection: 'prompts', id: docs[0].id })).template).toContain('Правка редактора.')
    await payload.create({ collection: 'prompts', data: { name: 'cluster b', task: 'keywords.cluster', language: 'ru', variant: 'b', weight: 1, template: `${docs[0].template}\nВариант Б.` } })
    expect(pickWeighted([{ weight: 1, v: 'a' }, { weight: 3, v: 'b' }], () => 0.3)?.v).toBe('b')

    useProvider('openrouter')
    const project = (await payload.update({ collection: 'projects', id: t.project.id, data: { surveyAnswers: [{ question: 'Что продаёте?', answer: 'Кофе' }] } }))
    await clusterKeywords(payload, { accountId: t.account.id, projectId: project.id }, { log, jobKey: 'variant-b' })
    const [run] = await runsFor('variant-b')
    expect(run.promptVariant).toBe('b')
    expect(JSON.stringify(ai.requests[0].body.messages)).toContain('Вариант Б.')
    await payload.update({ collection: 'prompts', id: docs[0].id, data: { weight: 1 } })
  })

  it('compares approval rates of prompt variants', async () => {
    const editor = await createStaff(payload, ['editor'])
    const article = async (status: 'in_review' | 'approved', variant: string) => {
      const a = await payload.create({ collection: 'articles', data: { title: `v-${variant}`, project: t.project.id, workflowStatus: 'in_review' } as never })
      if (status === 'approved') await payload.update({ collection: 'articles', id: a.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
      await payload.create({ collection: 'ai-runs', data: { task: 'article.test-ab', model: 'm', outcome: 'ok', promptVariant: variant, article: a.id, account: t.account.id } })
    }
    await article('approved', 'a')
    await article('in_review', 'a')
    await article('approved', 'b')
    const rates = await approvalByVariant(payload, 'article.test-ab')
    expect(rates).toEqual([
      { variant: 'a', items: 2, approved: 1, rate: 0.5 },
      { variant: 'b', items: 1, approved: 1, rate: 1 },
    ])
  })
})
