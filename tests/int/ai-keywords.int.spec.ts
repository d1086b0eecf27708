import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { clusterKeywords } from '../../src/ai/keywords'
import { logger } from '../../src/lib/logger'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import type { FakeOpenAI } from '../fakes/openai'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant } from '../helpers/fixtures'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
beforeAll(() => {
  ;({ payload, ai, bot } = world)
})

describe('keyword clustering', () => {
  it('adds AI clusters with intent and priority, never duplicating a phrase the project has, and tells the customer how many', async () => {
    const t = await createTenant(payload)
    await payload.update({ collection: 'accounts', id: t.account.id, data: { language: 'ru' } })
    await payload.update({
      collection: 'projects',
      id: t.project.id,
      data: { niche: 'Кофе', surveyAnswers: [{ question: 'Что вы продаёте?', answer: 'Кофе в зёрнах свежей обжарки' }] },
    })
    const seed = await payload.create({ collection: 'keywords', data: { phrase: 'купить кофе в зёрнах', project: t.project.id, source: 'survey' } as never })
    await payload.create({ collection: 'keywords', data: { phrase: 'Как выбрать кофе в зернах', project: t.project.id, source: 'import', cluster: 'Мой кластер' } as never })

    const outcome = await clusterKeywords(payload, { accountId: t.account.id, projectId: t.project.id }, { log: logger(), jobKey: 'kw-1' })
    // The model proposed 6 phrases: 2 the project had, 1 twice with other spelling.
    expect(outcome).toEqual({ added: 3, duplicates: 2, clusters: 2 })

    const { docs } = await payload.find({ collection: 'keywords', where: { project: { equals: t.project.id } }, pagination: false, limit: 50, depth: 0 })
    expect(docs).toHaveLength(5)
    expect(new Set(docs.map((k) => k.normalizedPhrase)).size).toBe(5)
    const ai2 = docs.filter((k) => k.source === 'ai')
    expect(ai2.map((k) => k.phrase).sort()).toEqual(['арабика или робуста', 'кофе в зернах для кофемашины', 'кофе свежей обжарки доставка'])
    expect(ai2.find((k) => k.phrase === 'арабика или робуста')).toMatchObject({ cluster: 'Выбор зерна', intent: 'informational', priority: 3, status: 'new' })
    // A seed without a cluster is placed in one; a keyword with a cluster keeps it.
    expect(docs.find((k) => k.id === seed.id)).toMatchObject({ cluster: 'Покупка', intent: 'transactional', source: 'survey' })
    expect(docs.find((k) => k.phrase === 'Как выбрать кофе в зернах')?.cluster).toBe('Мой кластер')

    const prompt = JSON.stringify(ai.requests[0].body.messages)
    expect(prompt).toContain('Кофе в зёрнах свежей обжарки')
    expect(prompt).toContain('купить кофе в зёрнах')

    const texts = bot.calls.filter((c) => c.params.chat_id === t.account.telegramId).map((c) => String(c.params.text))
    expect(texts[0]).toContain('Подбираю и группирую ключевые слова')
    expect(texts.at(-1)).toBe('✅ Кластеры готовы: добавлено новых фраз — 3, кластеров — 2. Уже были в проекте и не задублированы: 2.')
    // The notice opens the clusters it announces.
    const done = bot.calls.filter((c) => c.params.chat_id === t.account.telegramId).at(-1)!
    const buttons = (done.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat()
    expect(buttons).toEqual([{ text: '🗂 Открыть кластеры', callback_data: `k:cl:${t.project.id}:1` }])
  })
})
