import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { ArticleJob, generateArticle } from '../../src/ai/article'
import { logger } from '../../src/lib/logger'
import type { Keyword } from '../../src/payload-types'
import type { FakeOpenAI } from '../fakes/openai'
import { parseTelegramHtml, type FakeTelegram } from '../fakes/telegramBotApi'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant } from '../helpers/fixtures'
import { expectWholeInParts, markdownAsRead } from '../helpers/telegramText'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
const log = logger().child({ test: 'ai-sections' })
beforeAll(() => {
  ;({ payload, ai, bot } = world)
})

/** A long section as models write it: `##` and `###` headings, **bold**, a list, `<` and `&`. */
const SECTION = [
  '## Как выбрать обжарку',
  `${'Светлая обжарка сохраняет кислотность зерна, а тёмная даёт горечь и плотное тело. '.repeat(20)}**Главное:** вода < 95 °C & свежий помол.`,
  '### Что проверить на упаковке',
  `${'Дата обжарки важнее срока годности: через месяц аромат заметно слабеет. '.repeat(22)}`,
  '- **клапан** на пакете\n- дата обжарки\n- страна и регион',
  `${'Покупайте зерно небольшими партиями и храните его в темноте при комнатной температуре. '.repeat(16)}`,
].join('\n\n')

describe('sections written by the AI, in the chat', () => {
  it('shows a long section formatted, whole, in several valid messages, and streams valid HTML drafts', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'staff' })
    const keyword = (await payload.create({ collection: 'keywords', data: { phrase: 'кофе в зернах', project: t.project.id } as never })) as Keyword
    ai.reply('article.section', SECTION)
    const input = ArticleJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id })
    await generateArticle(payload, input, { log, jobKey: `article.generate:keyword:${keyword.id}` })

    const mine = (method: string) => bot.calls.filter((c) => c.method === method && c.params.chat_id === t.account.telegramId)
    const messages = mine('sendMessage').map((c) => String(c.params.text))
    const starts = messages.flatMap((m, i) => (m.startsWith('<b>📄 ') ? [i] : []))
    expect(starts).toHaveLength(4)
    // The first section: its messages run from its heading to the next section's.
    const first = messages.slice(starts[0], starts[1])
    const heading = /^<b>📄 ([^<]+)<\/b>/.exec(first[0])![1]
    expectWholeInParts(first, `📄 ${heading}\n\n${markdownAsRead(SECTION)}`)
    expect(first.join('')).toContain('<b>Как выбрать обжарку</b>')
    expect(first.join('')).toContain('<b>Главное:</b> вода &lt; 95 °C &amp; свежий помол.')
    for (const call of mine('sendMessage').slice(starts[0], starts[1])) expect(call.params.parse_mode).toBe('HTML')

    // Drafts while it streams are HTML Telegram accepts, each within one message.
    const drafts = mine('sendMessageDraft')
    expect(drafts.length).toBeGreaterThan(0)
    for (const draft of drafts) {
      expect(draft.params.parse_mode).toBe('HTML')
      const parsed = parseTelegramHtml(String(draft.params.text))
      expect('error' in parsed ? parsed.error : parsed.text.length).toBeLessThanOrEqual(4096)
    }
  })
})
