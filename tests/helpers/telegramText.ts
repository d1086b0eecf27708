import { expect } from 'vitest'

import { parseTelegramHtml } from '../fakes/telegramBotApi'

/** Whitespace runs as one space: Telegram messages are compared by what a reader sees. */
export const squash = (text: string) => text.replace(/\s+/g, ' ').trim()

/** Markdown as a reader should see it in Telegram: no `#` or `**` markers, bullets as •, link labels. */
export function markdownAsRead(markdown: string): string {
  return markdown
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/\*\*/g, '')
    .replace(/^[-*]\s+/gm, '• ')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
}

/**
 * Messages that carry one long text: more than one, each valid Telegram HTML (the fake's own
 * parser) of at most 4,096 characters after entity parsing, no Markdown markers left, and
 * together exactly `expected` (whitespace aside): nothing cut off, nothing added.
 */
export function expectWholeInParts(parts: string[], expected: string) {
  expect(parts.length).toBeGreaterThan(1)
  const texts = parts.map((part) => {
    const parsed = parseTelegramHtml(part)
    if ('error' in parsed) throw new Error(`${parsed.error} in ${part.slice(0, 200)}`)
    return parsed.text
  })
  for (const text of texts) expect(text.length).toBeLessThanOrEqual(4096)
  for (const part of parts) {
    expect(part).not.toMatch(/(^|\n)#{1,6} /)
    expect(part).not.toContain('**')
    expect(part).not.toContain('…')
  }
  expect(squash(texts.join('\n'))).toBe(squash(expected))
}
