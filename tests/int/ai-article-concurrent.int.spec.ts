import type { Payload } from 'payload'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ArticleJob, generateArticle } from '../../src/ai/article'
import { numberRanges } from '../../src/ai/sections'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'
import { lexicalToPlainText } from '../../src/lib/text'
import type { Article, Keyword } from '../../src/payload-types'
import type { FakeOpenAI, RecordedRequest } from '../fakes/openai'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant, type Tenant } from '../helpers/fixtures'
import { waitFor } from '../helpers/wait'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
const log = logger().child({ test: 'ai-article-concurrent' })
beforeAll(() => {
  ;({ payload, ai, bot } = world)
})

const HEADINGS = ['Обжарка', 'Сорта', 'Помол', 'Вода', 'Турка', 'Воронка', 'Хранение']
const outlineOf = (headings: string[]) =>
  JSON.stringify({ title: 'Как выбрать кофе', outline: headings.map((heading) => ({ level: 'h2', heading, notes: `про ${heading.toLowerCase()}` })) })

const headingOf = (prompt: string) => /(?:Раздел|Section):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? ''
const promptOf = (r: RecordedRequest) => (r.body.messages as { content: string }[]).map((m) => m.content).join('\n')
const sectionText = (heading: string, words: number) => `Текст раздела «${heading}»: ${Array.from({ length: words }, (_, i) => `слово${i}`).join(' ')}`

const savedEnv = { ...process.env }
function withEnv(vars: Record<string, string>) {
  Object.assign(process.env, vars)
  reloadEnv()
}
afterEach(() => {
  for (const key of ['AI_SECTION_CONCURRENCY', 'AI_ACCOUNT_SECTION_CONCURRENCY', 'AI_GLOBAL_SECTION_CONCURRENCY']) {
    if (savedEnv[key] === undefined) delete process.env[key]
    else process.env[key] = savedEnv[key]
  }
  reloadEnv()
})

async function tenantWithKeyword(phrase: string, tenant?: Tenant) {
  const t = tenant ?? (await createTenant(payload, { reviewPolicy: 'staff' }))
  const keyword = (await payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })) as Keyword
  return { t, keyword }
}

/** The most section calls the model was answering at the same moment. */
function maxOverlap(requests: RecordedRequest[]): number {
  const edges = requests.flatMap((r) => [
    { at: r.startedAt, step: 1 },
    { at: r.endedAt ?? Number.POSITIVE_INFINITY, step: -1 },
  ])
  edges.sort((a, b) => a.at - b.at || a.step - b.step)
  let now = 0
  let most = 0
  for (const edge of edges) {
    now += edge.step
    most = Math.max(most, now)
  }
  return most
}

const sectionRequests = (phrase: string) => ai.requests.filter((r) => r.task === 'article.section' && promptOf(r).includes(phrase))
const articleOf = async (id: number) => (await payload.findByID({ collection: 'articles', id, depth: 0 })) as Article
const headingsInBody = (article: Article, headings: string[]) => {
  const text = lexicalToPlainText(article.body)
  return headings.map((h) => ({ h, at: text.indexOf(`Текст раздела «${h}»`) })).filter((x) => x.at >= 0).sort((a, b) => a.at - b.at).map((x) => x.h)
}

/**
 * A customer's keyword (`phrase`, made unique) and the order of its article, with the model
 * streaming at `tokensPerSecond`, an outline of `headings` and each section `words(heading)` long.
 */
async function orderedArticle(options: { phrase: string; headings: string[]; tokensPerSecond: number; words: (heading: string) => number }) {
  const phrase = `${options.phrase} ${Date.now().toString(36)}`
  const { t, keyword } = await tenantWithKeyword(phrase)
  ai.setModel('test/primary', { tokensPerSecond: options.tokensPerSecond })
  ai.reply('article.outline', outlineOf(options.headings))
  ai.reply('article.section', (_body, prompt) => sectionText(headingOf(prompt), options.words(headingOf(prompt))))
  const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false })
  return { phrase, t, keyword, input }
}

describe('long articles: sections written at once', () => {
  it('writes several sections at once, never more than AI_SECTION_CONCURRENCY, each prompt knowing the brief and its neighbours', async () => {
    withEnv({ AI_SECTION_CONCURRENCY: '3' })
    const { phrase, t, keyword, input } = await orderedArticle({ phrase: 'кофе сразу', headings: HEADINGS, tokensPerSecond: 150, words: () => 60 })
    const outcome = await generateArticle(payload, input, { log, jobKey: `article.generate:keyword:${keyword.id}` })

    const calls = sectionRequests(phrase)
    expect(calls).toHaveLength(HEADINGS.length)
    expect(maxOverlap(calls)).toBe(3)
    // The third section's prompt: the brief, and what the second and the fourth cover.
    const third = promptOf(calls.find((r) => headingOf(promptOf(r)) === 'Помол')!)
    expect(third).toContain('Competitor pages')
    expect(third).toContain('«Сорта» (про сорта)')
    expect(third).toContain('«Вода» (про вода)')
    const article = await articleOf(outcome.articleId)
    expect(article.workflowStatus).toBe('in_review')
    expect(headingsInBody(article, HEADINGS)).toEqual(HEADINGS)
    // The status line tells which sections are being written.
    const statuses = bot.calls.filter((c) => c.method === 'editMessageText' && c.params.chat_id === t.account.telegramId).map((c) => String(c.params.text))
    expect(statuses.some((s) => /Writing sections \d.* of 7 \(\d+ done\)/.test(s))).toBe(true)
  })

  it('keeps the outline order in the body and in the chat when later sections finish first', async () => {
    withEnv({ AI_SECTION_CONCURRENCY: '4' })
    const headings = HEADINGS.slice(0, 4)
    // The first section is long, the others short: they are done well before it.
    const { phrase, t, keyword, input } = await orderedArticle({ phrase: 'кофе порядок', headings, tokensPerSecond: 200, words: (h) => (h === headings[0] ? 240 : 20) })
    const outcome = await generateArticle(payload, input, { log, jobKey: `article.generate:keyword:${keyword.id}` })

    const calls = sectionRequests(phrase)
    const endOf = (h: string) => calls.find((r) => headingOf(promptOf(r)) === h)!.endedAt!
    for (const later of headings.slice(1)) expect(endOf(later)).toBeLessThan(endOf(headings[0]))
    const article = await articleOf(outcome.articleId)
    expect(article.generation?.sections?.map((s) => s.index)).toEqual([0, 1, 2, 3])
    expect(headingsInBody(article, headings)).toEqual(headings)
    const posted = bot.calls
      .filter((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId && String(c.params.text).startsWith('<b>📄 '))
      .map((c) => /^<b>📄 ([^<]+)<\/b>/.exec(String(c.params.text))![1])
    expect(posted).toEqual(headings)
  })

  it('holds the account to AI_ACCOUNT_SECTION_CONCURRENCY across two articles written at the same time', async () => {
    withEnv({ AI_SECTION_CONCURRENCY: '4', AI_ACCOUNT_SECTION_CONCURRENCY: '2' })
    const stamp = Date.now().toString(36)
    const a = await tenantWithKeyword(`кофе первый ${stamp}`)
    const b = await tenantWithKeyword(`кофе второй ${stamp}`, a.t)
    ai.setModel('test/primary', { tokensPerSecond: 200 })
    ai.reply('article.outline', outlineOf(HEADINGS.slice(0, 4)))
    ai.reply('article.section', (_body, prompt) => sectionText(headingOf(prompt), 50))
    const job = (keyword: Keyword) =>
      generateArticle(payload, ArticleJob.parse({ accountId: a.t.account.id, projectId: a.t.project.id, keywordId: keyword.id, withImage: false }), { log, jobKey: `article.generate:keyword:${keyword.id}` })
    await Promise.all([job(a.keyword), job(b.keyword)])
    const calls = [...sectionRequests(`кофе первый ${stamp}`), ...sectionRequests(`кофе второй ${stamp}`)]
    expect(calls).toHaveLength(8)
    expect(maxOverlap(calls)).toBe(2)
  })

  it('a job stopped mid-way resumes with only the missing sections: none written, saved or charged twice', async () => {
    withEnv({ AI_SECTION_CONCURRENCY: '3' })
    const headings = HEADINGS.slice(0, 6)
    // Until the stop, the long sections outlast the test (300 s at 100 tokens/s): however slow the
    // machine, the job is stopped with some sections saved and others not. The second run writes
    // them at their usual length.
    const lengthOf = (prompt: string, long: number) => (headings.indexOf(headingOf(prompt)) % 3 === 0 ? 20 : long)
    const { phrase, t, keyword, input } = await orderedArticle({
      phrase: 'кофе заново',
      headings,
      tokensPerSecond: 100,
      words: (h) => (headings.indexOf(h) % 3 === 0 ? 20 : 30_000),
    })
    const jobKey = `article.generate:keyword:${keyword.id}`
    const stop = new AbortController()
    const first = generateArticle(payload, input, { log, jobKey, signal: stop.signal })
    const stopped = first.then(
      () => 'finished',
      () => 'stopped',
    )
    const found = await waitFor(async () => {
      const docs = (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: keyword.id } }, depth: 0, limit: 1 })).docs
      return (docs[0]?.generation?.sections?.length ?? 0) >= 1 ? docs[0] : undefined
    })
    stop.abort(new Error('worker shutting down'))
    expect(await stopped).toBe('stopped')
    const atStop = (await articleOf(found.id)).generation!.sections!
    expect(atStop.length).toBeGreaterThanOrEqual(1)
    expect(atStop.length).toBeLessThan(headings.length)
    const before = sectionRequests(phrase).length

    ai.reply('article.section', (_body, prompt) => sectionText(headingOf(prompt), lengthOf(prompt, 120)))
    const outcome = await generateArticle(payload, input, { log, jobKey })
    expect(outcome.sectionsWritten).toBe(headings.length - atStop.length)
    // The second run asked only for the sections not saved.
    const resumed = sectionRequests(phrase).slice(before).map((r) => headingOf(promptOf(r)))
    expect(resumed.sort()).toEqual(headings.filter((_, i) => !atStop.some((s) => s.index === i)).sort())
    const article = await articleOf(outcome.articleId)
    expect(article.generation?.sections?.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(headingsInBody(article, headings)).toEqual(headings)
    // Every section is charged by exactly one finished model call.
    const runs = await payload.find({ collection: 'ai-runs', where: { article: { equals: article.id }, task: { equals: 'article.section' }, outcome: { equals: 'ok' } }, pagination: false, limit: 100 })
    for (const n of [1, 2, 3, 4, 5, 6]) expect(runs.docs.filter((r) => r.jobKey === `${jobKey}#section-${n}`), `section ${n}`).toHaveLength(1)
  })

  it('a job stopped with later sections saved and an earlier one missing resumes, and the chat ends with every section once, in order', async () => {
    withEnv({ AI_SECTION_CONCURRENCY: '4' })
    const headings = HEADINGS.slice(0, 4)
    // The first section is far longer than the others: they are saved while it is still being
    // written. Long enough (150 s at 200 tokens/s, beyond the test's time and the model timeout,
    // tests/helpers/aiWorld.ts) that it cannot be finished before the stop however slow the machine.
    const { phrase, t, keyword, input } = await orderedArticle({ phrase: 'кофе пропуск', headings, tokensPerSecond: 200, words: (h) => (h === headings[0] ? 30_000 : 20) })
    const jobKey = `article.generate:keyword:${keyword.id}`
    const stop = new AbortController()
    const stopped = generateArticle(payload, input, { log, jobKey, signal: stop.signal }).then(
      () => 'finished',
      () => 'stopped',
    )
    const found = await waitFor(async () => {
      const docs = (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: keyword.id } }, depth: 0, limit: 1 })).docs
      return (docs[0]?.generation?.sections?.length ?? 0) >= 3 ? docs[0] : undefined
    })
    stop.abort(new Error('worker shutting down'))
    expect(await stopped).toBe('stopped')
    expect((await articleOf(found.id)).generation!.sections!.map((s) => s.index)).toEqual([1, 2, 3])
    const postedSections = () =>
      bot.calls
        .filter((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId && String(c.params.text).startsWith('<b>📄 '))
        .map((c) => /^<b>📄 ([^<]+)<\/b>/.exec(String(c.params.text))![1])
    // Nothing could be posted: the first section, due first, was never finished.
    expect(postedSections()).toEqual([])

    ai.reply('article.section', (_body, prompt) => sectionText(headingOf(prompt), 20))
    const outcome = await generateArticle(payload, input, { log, jobKey })
    expect(outcome.sectionsWritten).toBe(1)
    expect(postedSections()).toEqual(headings)
    const article = await articleOf(outcome.articleId)
    expect(article.generation?.postedUpTo).toBe(headings.length)
    expect(headingsInBody(article, headings)).toEqual(headings)
  })

  it('names the sections being written as ranges', () => {
    expect(numberRanges([2, 3, 4, 5])).toBe('3–6')
    expect(numberRanges([0, 2])).toBe('1, 3')
    expect(numberRanges([0, 1, 4, 5, 6])).toBe('1, 2, 5–7')
  })
})
