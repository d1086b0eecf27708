import { spawn } from 'node:child_process'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { generateArticle, ArticleJob } from '../../src/ai/article'
import { buildAiTaskList } from '../../src/jobs/taskList'
import { idOf } from '../../src/lib/ids'
import { logger } from '../../src/lib/logger'
import { lexicalToPlainText } from '../../src/lib/text'
import type { Article, Keyword } from '../../src/payload-types'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import type { FakeOpenAI } from '../fakes/openai'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
const log = logger().child({ test: 'ai-article' })
beforeAll(() => {
  ;({ payload, ai, bot } = world)
})

async function tenantWithKeyword(reviewPolicy: 'staff' | 'automatic' = 'staff', phrase = 'кофе в зернах') {
  const t = await createTenant(payload, { reviewPolicy })
  const keyword = (await payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })) as Keyword
  return { t, keyword }
}

const runsOf = async (articleId: number) =>
  (await payload.find({ collection: 'ai-runs', where: { article: { equals: articleId } }, pagination: false, limit: 500, sort: 'createdAt' })).docs

const chatCalls = (t: Tenant, method: string) => bot.calls.filter((c) => c.method === method && c.params.chat_id === t.account.telegramId)

describe('article generation', () => {
  it('writes outline, sections, meta, FAQ with JSON-LD and quality signals, streams to the chat, and submits for review', async () => {
    const { t, keyword } = await tenantWithKeyword()
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id })
    const outcome = await generateArticle(payload, input, { log, jobKey: `article.generate:keyword:${keyword.id}` })
    const article = (await payload.findByID({ collection: 'articles', id: outcome.articleId })) as Article

    expect(article.workflowStatus).toBe('in_review')
    expect(article.outline?.map((o) => o.heading)).toEqual(['Что такое свежая обжарка', 'Арабика и робуста', 'Помол под способ заваривания', 'Как хранить зерно'])
    expect(article.generation?.sections).toHaveLength(4)
    expect(article.generation?.state).toBe('done')
    const text = lexicalToPlainText(article.body)
    for (const heading of article.outline!.map((o) => o.heading)) expect(text).toContain(heading)
    expect(article.wordCount).toBeGreaterThan(400)
    expect(article.metaTitle!.length).toBeLessThanOrEqual(60)
    expect(article.metaDescription!.length).toBeLessThanOrEqual(160)
    expect(article.slug).toBe('kak-vybrat-kofe-v-zernah')
    expect(article.faq).toHaveLength(2)
    expect(article.faqJsonLd).toMatchObject({ '@type': 'FAQPage', mainEntity: [{ '@type': 'Question', name: 'Сколько хранится кофе в зернах?' }, {}] })
    expect(article.quality?.readability).toBeGreaterThan(0)
    expect(article.quality?.keywordOccurrences).toBeGreaterThanOrEqual(4)
    expect(article.quality?.keywordInFirstParagraph).toBe(true)
    expect(article.quality?.keywordInTitle).toBe(true)
    expect(article.quality?.keywordDensity).toBeGreaterThan(0)
    expect(article.images).toHaveLength(1)
    const media = await payload.findByID({ collection: 'media', id: Number(idOf(article.images![0])) })
    expect(media.alt).toBe('Кофейные зёрна на столе')

    const drafts = chatCalls(t, 'sendMessageDraft')
    expect(drafts.length).toBeGreaterThan(0)
    expect(String(drafts[0].params.text)).toContain('📄')
    const messages = chatCalls(t, 'sendMessage').map((c) => String(c.params.text))
    // Each section under its heading in bold, the model's Markdown shown formatted.
    const sections = messages.filter((m) => m.startsWith('<b>📄 '))
    expect(sections).toHaveLength(4)
    for (const section of sections) expect(section).not.toContain('**')
    expect(messages.at(-1)).toContain('Article ready')
    // The summary opens the article in the bot, where it can be read, approved or sent back.
    expect(chatCalls(t, 'sendMessage').at(-1)!.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: '📖 Open the article', callback_data: `c:o:a:${article.id}` }]],
    })
    // Sections are written several at once: the status names the ones being written, the last included.
    expect(chatCalls(t, 'editMessageText').some((c) => /Section 4 of 4|Writing sections [^(]*4 of 4/.test(String(c.params.text)))).toBe(true)

    const runs = await runsOf(article.id)
    expect(runs.filter((r) => r.task === 'article.section' && r.outcome === 'ok')).toHaveLength(4)
    expect(runs.every((r) => r.account && r.jobKey?.startsWith(`article.generate:keyword:${keyword.id}`))).toBe(true)
    expect(runs.find((r) => r.task === 'article.outline')?.promptVariant).toBe('a')
    expect((await payload.findByID({ collection: 'keywords', id: keyword.id })).status).toBe('used')
  })

  it('is approved at once under the automatic review policy', async () => {
    const { t, keyword } = await tenantWithKeyword('automatic')
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false })
    const outcome = await generateArticle(payload, input, { log, jobKey: 'auto' })
    expect(outcome.status).toBe('approved')
  })

  it('an article for a cluster stores its secondary keywords and asks the outline to cover them', async () => {
    const { t, keyword } = await tenantWithKeyword('automatic')
    const other = (await payload.create({ collection: 'keywords', data: { phrase: 'кофе для эспрессо', project: t.project.id } as never })) as Keyword
    const foreign = await createTenant(payload)
    const stranger = (await payload.create({ collection: 'keywords', data: { phrase: 'чужой запрос', project: foreign.project.id } as never })) as Keyword
    const input = ArticleJob.parse({
      accountId: t.account.id,
      projectId: t.project.id,
      keywordId: keyword.id,
      withImage: false,
      secondaryKeywordIds: [other.id, stranger.id],
    })
    const outcome = await generateArticle(payload, input, { log, jobKey: 'cluster' })
    const article = (await payload.findByID({ collection: 'articles', id: outcome.articleId })) as Article
    expect((article.secondaryKeywords ?? []).map((k) => Number(idOf(k)))).toEqual([other.id])
    const outlineCall = ai.requests.filter((r) => r.task === 'article.outline').at(-1)!
    expect(JSON.stringify(outlineCall.body)).toContain('кофе для эспрессо')
    expect(JSON.stringify(outlineCall.body)).not.toContain('чужой запрос')
  })

  it('rewrites an article sent back with a note, using the note, and keeps the previous version', async () => {
    const { t, keyword } = await tenantWithKeyword()
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false })
    const first = await generateArticle(payload, input, { log, jobKey: 'rev-1' })
    const editor = await createStaff(payload, ['editor'])
    await payload.update({ collection: 'articles', id: first.articleId, data: { workflowStatus: 'changes_requested', reviewNote: 'Добавьте раздел про декофеинизированный кофе' }, user: editor.user, overrideAccess: false })
    ai.reply('article.outline', JSON.stringify({ title: 'Кофе в зернах без кофеина и с ним', outline: [{ level: 'h2', heading: 'Декаф: как его делают' }, { level: 'h2', heading: 'Как выбрать зерно' }] }))
    ai.requests.length = 0

    const second = await generateArticle(payload, input, { log, jobKey: 'rev-2' })
    expect(second.articleId).toBe(first.articleId)
    const outlineRequest = ai.requests.find((r) => r.task === 'article.outline')!
    expect(JSON.stringify(outlineRequest.body.messages)).toContain('Добавьте раздел про декофеинизированный кофе')
    const article = (await payload.findByID({ collection: 'articles', id: first.articleId })) as Article
    expect(article.workflowStatus).toBe('in_review')
    expect(article.outline?.map((o) => o.heading)).toEqual(['Декаф: как его делают', 'Как выбрать зерно'])
    const versions = await payload.findVersions({ collection: 'articles', where: { parent: { equals: first.articleId } }, limit: 200 })
    expect(versions.docs.some((v) => v.version.workflowStatus === 'in_review' && v.version.outline?.[0]?.heading === 'Что такое свежая обжарка')).toBe(true)
  })

  it('stops before any model call when the account is over its daily spend, and says so', async () => {
    const { t, keyword } = await tenantWithKeyword()
    await payload.create({ collection: 'ai-runs', data: { task: 'article.section', model: 'm', outcome: 'ok', costUsd: 0.6, account: t.account.id } })
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id })
    await expect(generateArticle(payload, input, { log, jobKey: 'cap' })).rejects.toMatchObject({ status: 402 })
    expect(ai.requests).toHaveLength(0)
    const articles = await payload.count({ collection: 'articles', where: { mainKeyword: { equals: keyword.id } } })
    expect(articles.totalDocs).toBe(0)
  })
})
