import type { Payload } from 'payload'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

import { generateArticle, ArticleJob } from '../../src/ai/article'
import { FaqAnswer } from '../../src/ai/articleParts'
import { generateJson, type CallContext } from '../../src/ai/call'
import { parseModelJson } from '../../src/ai/json'
import { ClusterAnswer, clusterKeywords } from '../../src/ai/keywords'
import { generatePost, PostJob } from '../../src/ai/post'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'
import type { Article, Post } from '../../src/payload-types'
import { fakeAiEnv, type FakeOpenAI, type RecordedRequest } from '../fakes/openai'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant, type Tenant } from '../helpers/fixtures'

/**
 * Issue 11, item 2: structured tasks ask for JSON of their schema (`response_format: json_schema`),
 * because a chat model answers in prose unless asked. The fake model does exactly that.
 */
const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
const log = logger().child({ test: 'ai-structured' })

beforeAll(() => {
  ;({ payload, ai } = world)
})

function useProvider(provider: 'openrouter' | 'openai-compatible') {
  Object.assign(process.env, fakeAiEnv(ai, provider))
  reloadEnv()
}
afterEach(() => useProvider('openrouter'))

const chat = (task: string) => ai.requests.filter((r) => r.task === task && r.path.endsWith('/chat/completions'))

/** The JSON schema a request asked for, as the provider's docs define `response_format`. */
function askedSchema(request: RecordedRequest) {
  expect(request.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: expect.stringMatching(/^[A-Za-z0-9_-]+$/), strict: false } })
  return request.body.response_format.json_schema.schema as { type: string; required: string[]; properties: Record<string, unknown> }
}

async function tenant(): Promise<Tenant> {
  const t = await createTenant(payload, { reviewPolicy: 'staff' })
  await payload.update({ collection: 'projects', id: t.project.id, data: { niche: 'Кофе', surveyAnswers: [{ question: 'Что вы продаёте?', answer: 'Кофе в зёрнах' }] } })
  return t
}

const ctx = (t: Tenant, jobKey: string): CallContext => ({ payload, log, scope: { accountId: t.account.id, projectId: t.project.id, jobKey } })
const runsFor = async (jobKey: string) =>
  (await payload.find({ collection: 'ai-runs', where: { jobKey: { equals: jobKey } }, sort: 'createdAt', pagination: false, limit: 50, depth: 0 })).docs

describe('structured output', () => {
  it('the model answers prose when no format is asked for, which no repair can read; asked for the schema, it answers JSON', async () => {
    const ask = async (extra: Record<string, unknown>) => {
      const response = await fetch(`${ai.url}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Postforge-Task': 'keywords.cluster' },
        body: JSON.stringify({ model: 'test/primary', messages: [{ role: 'user', content: 'Сгруппируй ключевые слова' }], ...extra }),
      })
      return ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content
    }
    const prose = await ask({})
    expect(prose).toContain('Выбор зерна')
    expect(parseModelJson(prose, ClusterAnswer).ok).toBe(false)
    const asked = await ask({ response_format: { type: 'json_schema', json_schema: { name: 'clusters', schema: { type: 'object', required: ['clusters'] } } } })
    expect(parseModelJson(asked, ClusterAnswer)).toMatchObject({ ok: true, repaired: false })
  })

  it('clusters keywords: the request carries the cluster schema and the answer is stored', async () => {
    const t = await tenant()
    const outcome = await clusterKeywords(payload, { accountId: t.account.id, projectId: t.project.id }, { log, jobKey: 'structured-kw' })
    expect(outcome).toMatchObject({ clusters: 2 })
    expect(outcome.added).toBeGreaterThan(0)
    const [request] = chat('keywords.cluster')
    const schema = askedSchema(request)
    expect(schema.required).toEqual(['clusters'])
    expect(JSON.stringify(schema.properties.clusters)).toContain('"enum":["informational","commercial","transactional","navigational"]')
    expect((await runsFor('structured-kw')).map((r) => [r.task, r.outcome])).toEqual([['keywords.cluster', 'ok']])
  })

  it("writes an article: outline, meta and FAQ ask for their schemas; the sections stay streamed text", async () => {
    const t = await tenant()
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: 'кофе в зернах', project: t.project.id } as never })
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false })
    const outcome = await generateArticle(payload, input, { log, jobKey: `structured-article-${keyword.id}` })
    const article = (await payload.findByID({ collection: 'articles', id: outcome.articleId })) as Article
    expect(article).toMatchObject({ workflowStatus: 'in_review', slug: 'kak-vybrat-kofe-v-zernah', generation: { state: 'done' } })
    expect(article.outline).toHaveLength(4)
    expect(article.faq?.map((f) => f.question)).toEqual(['Сколько хранится кофе в зернах?', 'Какой помол нужен для турки?'])
    expect(article.metaDescription).toContain('Рассказываем, как выбрать кофе в зернах')

    expect(askedSchema(chat('article.outline')[0]).required).toEqual(['title', 'outline'])
    expect(askedSchema(chat('article.meta')[0]).required).toEqual(['title', 'metaTitle', 'metaDescription'])
    expect(askedSchema(chat('article.faq')[0]).required).toEqual(['items'])
    const sections = chat('article.section')
    expect(sections).toHaveLength(4)
    for (const section of sections) expect(section.body.response_format).toBeUndefined()
  })

  it('writes post variants: the request carries the variants schema', async () => {
    const t = await tenant()
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: 'кофе для турки', project: t.project.id } as never })
    const outcome = await generatePost(payload, PostJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false, platforms: ['telegram', 'vk'] }), { log, jobKey: 'structured-post' })
    const post = (await payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0 })) as Post
    expect(post.variants?.map((v) => v.platform)).toEqual(['telegram', 'vk'])
    expect(post.variants![0].text).toContain('кофе')
    expect(askedSchema(chat('post.variant')[0]).required).toEqual(['variants'])
  })

  it('repairs prose-wrapped JSON from a model that ignores the schema', async () => {
    const t = await tenant()
    ai.setModel('test/primary', { broken: 'fenced' })
    const faq = await generateJson('article.faq', ctx(t, 'structured-fenced'), { system: 'FAQ', prompt: 'Кофе' }, FaqAnswer)
    expect(faq.items[0]).toEqual({ question: 'Сколько хранится кофе в зернах?', answer: 'Около месяца после обжарки.' })
    const [request] = chat('article.faq')
    askedSchema(request)
    expect(request.answeredBy).toBe('test/primary')
    expect((await runsFor('structured-fenced')).map((r) => [r.model, r.outcome])).toEqual([['test/primary', 'ok']])
  })

  it('asks again in plain text where the server has no structured output, and a prose answer there moves on to the next model', async () => {
    useProvider('openai-compatible')
    const t = await tenant()
    // A server that refuses response_format, with a model that follows the prompt's JSON instruction.
    ai.setModel('test/primary', { structuredOutput: 'unsupported', followsPrompt: true })
    const faq = await generateJson('article.faq', ctx(t, 'structured-refused'), { system: 'FAQ', prompt: 'Кофе' }, FaqAnswer)
    expect(faq.items).toHaveLength(2)
    expect(chat('article.faq').map((r) => [r.model, r.status, r.body.response_format?.type ?? null])).toEqual([
      ['test/primary', 400, 'json_schema'],
      ['test/primary', 200, null],
    ])
    const [run] = await runsFor('structured-refused')
    expect(run).toMatchObject({ model: 'test/primary', outcome: 'ok' })
    expect(run.outputTokens).toBeGreaterThan(0)

    // The same server with a model that answers prose: unusable, so the next model (which takes
    // the schema) answers.
    ai.reset()
    ai.setModel('test/primary', { structuredOutput: 'unsupported' })
    await expect(generateJson('article.faq', ctx(t, 'structured-prose'), { system: 'FAQ', prompt: 'Кофе' }, FaqAnswer)).resolves.toMatchObject({ items: [{}, {}] })
    expect((await runsFor('structured-prose')).map((r) => [r.model, r.outcome])).toEqual([
      ['test/primary', 'invalid_output'],
      ['test/fallback', 'ok'],
    ])
    expect(chat('article.faq').at(-1)!.body.response_format?.type).toBe('json_schema')
  })
})
