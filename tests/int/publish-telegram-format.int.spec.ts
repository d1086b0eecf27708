import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { articleBody } from '../../src/ai/lexical'
import { reloadEnv } from '../../src/lib/env'
import { publishOne } from '../../src/publishing/publish'
import { resetTelegramClient } from '../../src/telegram/client'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { expectWholeInParts, markdownAsRead } from '../helpers/telegramText'

let payload: Payload
let t: Tenant
let fake: FakeTelegram
let channelId: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  fake = await startFakeTelegram()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`,
    TELEGRAM_API_ROOT: fake.url,
    PUBLISH_HTTP_TIMEOUT_MS: '1000',
  })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  t = await createTenant(payload)
  const channel = await payload.create({
    collection: 'connections',
    data: { displayName: 'Formatted channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@pf_formatted' } } as never,
  })
  channelId = channel.id
})

afterAll(async () => {
  await fake?.close()
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
})

const section = (n: number) =>
  [
    `${'Светлая обжарка сохраняет кислотность, тёмная даёт горечь и плотное тело. '.repeat(9)}**Вывод ${n}:** вода < 95 °C & свежий помол.`,
    `### Деталь ${n}`,
    `${'Дата обжарки важнее срока годности: через месяц аромат слабеет. '.repeat(8)}См. [гид](https://example.com/g?n=${n}&x=1).`,
    '- **клапан** на пакете\n- дата обжарки',
  ].join('\n\n')

describe('an article published to a Telegram channel', () => {
  it('goes out formatted like in the bot: headings and bold as HTML, whole, in valid messages of at most 4,096 characters', async () => {
    const sections = Array.from({ length: 7 }, (_, i) => ({ heading: `Раздел ${i + 1}`, level: 'h2' as const, markdown: section(i + 1) }))
    const editor = await createStaff(payload, ['editor'])
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Кофе & <зёрна>', project: t.project.id, workflowStatus: 'in_review', excerpt: '', body: articleBody(sections, [], '') } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const publication = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: channelId, article: article.id, plannedAt: new Date().toISOString() } as never,
    })
    expect((await publishOne(payload, publication.id)).result).toBe('published')

    const calls = fake.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === '@pf_formatted')
    for (const call of calls) expect(call.params.parse_mode).toBe('HTML')
    const parts = calls.map((c) => String(c.params.text))
    const expected = ['Кофе & <зёрна>', ...sections.flatMap((s) => [s.heading, markdownAsRead(s.markdown)])].join('\n\n')
    expect(expected.length).toBeGreaterThan(8000)
    expectWholeInParts(parts, expected)
    expect(parts[0].startsWith('<b>Кофе &amp; &lt;зёрна&gt;</b>\n\n<b>Раздел 1</b>\n\n')).toBe(true)
    expect(parts.join('')).toContain('<b>Вывод 1:</b> вода &lt; 95 °C &amp; свежий помол.')
    expect(parts.join('')).toContain('<a href="https://example.com/g?n=1&amp;x=1">гид</a>')
  })
})
