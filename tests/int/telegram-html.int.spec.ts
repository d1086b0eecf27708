import { describe, expect, it } from 'vitest'

import { lexicalToTelegramHtml, splitTelegramHtml, visibleLength } from '../../src/telegram/html'
import { parseTelegramHtml } from '../fakes/telegramBotApi'

const read = (html: string) => {
  const parsed = parseTelegramHtml(html)
  if ('error' in parsed) throw new Error(parsed.error)
  return parsed.text
}

describe('Telegram HTML splitting', () => {
  it('closes tags open at a cut and opens them again in the next part, so each part parses alone', () => {
    const html = `<b><a href="https://e.com/?a=1&amp;b=2">${'слово '.repeat(300).trim()}</a></b>`
    const parts = splitTelegramHtml(html, 500)
    expect(parts.length).toBeGreaterThan(3)
    for (const part of parts) {
      expect(part.startsWith('<b><a href="https://e.com/?a=1&amp;b=2">')).toBe(true)
      expect(part.endsWith('</a></b>')).toBe(true)
      expect(read(part).length).toBeLessThanOrEqual(500)
    }
    expect(parts.map(read).join(' ')).toBe('слово '.repeat(300).trim())
  })

  it('counts entities as one character, never cuts one or an emoji in half', () => {
    expect(visibleLength('<b>a &amp; b</b> &lt;😀&gt;')).toBe(10)
    const parts = splitTelegramHtml('&amp;😀'.repeat(2000), 4096)
    expect(parts).toHaveLength(2)
    for (const part of parts) expect(read(part).length).toBeLessThanOrEqual(4096)
    expect(parts.map(read).join('')).toBe('&😀'.repeat(2000))
  })

  it('keeps a heading with the block after it', () => {
    const block = 'текст '.repeat(100).trim()
    const html = [`<b>Один</b>`, block, `<b>Два</b>`, block].join('\n\n')
    const parts = splitTelegramHtml(html, visibleLength(html) - 10)
    expect(parts).toEqual([`<b>Один</b>\n\n${block}`, `<b>Два</b>\n\n${block}`])
  })
})

describe('rich text as Telegram HTML', () => {
  it('turns headings into bold lines and keeps bold, italic, code, links and lists, escaping the text', () => {
    const text = (value: string, format = 0) => ({ type: 'text', text: value, format })
    const html = lexicalToTelegramHtml({
      root: {
        children: [
          { type: 'heading', tag: 'h2', children: [text('Тема <1>', 1)] },
          { type: 'paragraph', children: [text('a & '), text('b', 1), text(' '), text('i', 2), text(' '), text('x<y', 16), text(' '), { type: 'link', fields: { url: 'https://e.com/"q"' }, children: [text('ссылка')] }, { type: 'link', fields: { url: 'javascript:alert(1)' }, children: [text(' нет')] }] },
          { type: 'list', listType: 'number', children: [{ type: 'listitem', children: [text('раз')] }, { type: 'listitem', children: [text('два')] }] },
          { type: 'upload', value: 1 },
        ],
      },
    })
    expect(html).toBe(
      '<b>Тема &lt;1&gt;</b>\n\na &amp; <b>b</b> <i>i</i> <code>x&lt;y</code> <a href="https://e.com/&quot;q&quot;">ссылка</a> нет\n\n1. раз\n2. два',
    )
    expect(() => read(html)).not.toThrow()
  })
})
