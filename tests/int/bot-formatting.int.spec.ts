import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { articleBody } from '../../src/ai/lexical'
import { expectWholeInParts, markdownAsRead } from '../helpers/telegramText'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('formatting')
})
afterAll(async () => {
  await h?.close()
})

/** A section the way models write it: paragraphs, a `###` subheading, **bold**, a list, a link, `<` and `&`. */
function sectionMarkdown(n: number): string {
  const sentence = (w: string) => `${w} зерна светлой обжарки раскрываются в воронке за три минуты, если вода 92–94 °C. `
  return [
    `${sentence('Первые').repeat(6)}**Главное в разделе ${n}:** свежесть & помол < 1 мм.`,
    `### Подробнее ${n}`,
    `${sentence('Вторые').repeat(5)}Подробности — в [гиде по заварке](https://example.com/guide?a=1&b=${n}).`,
    '- **пункт** один\n- пункт два\n- пункт три',
  ].join('\n\n')
}

describe('reading an article in the bot', () => {
  it('sends a 9,000-character article with headings and bold as formatted messages, whole, split at blocks', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Formatting', account: account.id, reviewPolicy: 'owner' } as never,
      overrideAccess: true,
    })
    const sections = Array.from({ length: 9 }, (_, i) => ({ heading: `Раздел ${i + 1}`, level: 'h2' as const, markdown: sectionMarkdown(i + 1) }))
    const body = articleBody(sections, [], '')
    const article = await h.payload.create({
      collection: 'articles',
      data: { title: 'Кофе & <зёрна>', project: project.id, body } as never,
      overrideAccess: true,
    })
    const expected = ['Кофе & <зёрна>', ...sections.flatMap((s) => [s.heading, markdownAsRead(s.markdown)])].join('\n\n')
    expect(expected.length).toBeGreaterThan(9000)

    h.fake.clear()
    await user.press(`c:r:a:${article.id}`)
    const calls = h.fake.callsTo('sendMessage', user.id)
    for (const call of calls) expect(call.params.parse_mode).toBe('HTML')
    const parts = calls.map((c) => String(c.params.text))
    expect(parts.length).toBeGreaterThanOrEqual(3)
    expectWholeInParts(parts, expected)
    // Formatting survives: the title and headings as bold lines, bold text, a live link, escaped text.
    expect(parts[0].startsWith('<b>Кофе &amp; &lt;зёрна&gt;</b>\n\n<b>Раздел 1</b>\n\n')).toBe(true)
    expect(parts.join('')).toContain('<b>Главное в разделе 1:</b> свежесть &amp; помол &lt; 1 мм.')
    expect(parts.join('')).toContain('<a href="https://example.com/guide?a=1&amp;b=2">гиде по заварке</a>')
    expect(parts.join('')).toContain('• <b>пункт</b> один\n• пункт два')
    // Cuts fall between blocks: every part but the last ends a paragraph or a list, and no part
    // ends on a heading cut off from its text.
    for (const part of parts.slice(0, -1)) {
      expect(part).toMatch(/(\.|пункт три)$/)
      expect(part).not.toMatch(/<b>(Раздел|Подробнее) \d+<\/b>$/)
    }
  })
})

describe('customer data in bot texts', () => {
  it('is escaped exactly once: a keyword with & and < reads as typed, not as &amp;amp;', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Escaping', account: account.id } as never,
      overrideAccess: true,
    })
    const keyword = await h.payload.create({
      collection: 'keywords',
      data: { phrase: 'кофе & чай <эспрессо>', project: project.id } as never,
      overrideAccess: true,
    })
    await user.press(`c:ga:${keyword.id}`)
    const text = user.lastText()
    expect(text).toContain('«кофе &amp; чай &lt;эспрессо&gt;»')
    expect(text).not.toContain('&amp;amp;')
  })
})

describe('the fake Bot API', () => {
  it('refuses malformed HTML and over-long texts the way Telegram does', async () => {
    const send = async (text: string) =>
      (await fetch(`${h.fake.url}/bot1:x/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: 1, text, parse_mode: 'HTML' }),
      }).then((r) => r.json())) as { ok: boolean; description?: string }
    expect(await send('<b>bold</b> &amp; <a href="https://x.y">link</a>')).toMatchObject({ ok: true })
    expect((await send('<b>never closed')).description).toMatch(/^Bad Request: can't parse entities: Can't find end tag/)
    expect((await send('2 < 3')).description).toMatch(/^Bad Request: can't parse entities/)
    expect((await send('## <h2>heading</h2>')).description).toMatch(/^Bad Request: can't parse entities: Unsupported start tag "h2"/)
    expect((await send('<b><i>crossed</b></i>')).description).toMatch(/^Bad Request: can't parse entities/)
    expect((await send('&amp;'.repeat(4097))).description).toBe('Bad Request: message is too long')
    expect(await send('&amp;'.repeat(4096))).toMatchObject({ ok: true })
  })
})
