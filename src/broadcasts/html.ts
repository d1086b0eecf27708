import { visibleLength } from '../telegram/html'
import { TELEGRAM_TEXT_LIMITS } from '../telegram/limits'

/**
 * Broadcasts are sent as Telegram HTML (parse_mode HTML), so `<b>news</b>` arrives bold. What
 * Telegram would refuse is refused when staff save the text, with a message saying what to fix:
 * only the tags Telegram's HTML style allows (https://core.telegram.org/bots/api#html-style),
 * each closed in order, and `<`, `>`, `&` outside tags written as &lt; &gt; &amp;.
 */
export const BROADCAST_TAGS = ['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji'] as const
const ALLOWED = new Set<string>(BROADCAST_TAGS)
const ENTITY = /^&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/i

export type HtmlProblem = { key: string; params: Record<string, string | number> }

/** The first thing Telegram would refuse in `html`, or null when it can be sent as is. */
export function broadcastHtmlProblem(html: string): HtmlProblem | null {
  const open: string[] = []
  let i = 0
  while (i < html.length) {
    const char = html[i]
    if (char === '<') {
      const end = html.indexOf('>', i)
      const tag = end < 0 ? null : /^<(\/?)([a-z][a-z0-9-]*)((?:\s[^<>]*)?)>$/i.exec(html.slice(i, end + 1))
      if (!tag) return { key: 'broadcast.html_escape', params: { char: '<', at: i + 1 } }
      const name = tag[2].toLowerCase()
      if (!ALLOWED.has(name)) return { key: 'broadcast.html_tag', params: { tag: `<${name}>`, allowed: BROADCAST_TAGS.map((t) => `<${t}>`).join(' ') } }
      if (tag[1]) {
        if (open.at(-1) !== name) return { key: 'broadcast.html_unbalanced', params: { tag: `</${name}>`, open: open.length ? `<${open.at(-1)}>` : '—' } }
        open.pop()
      } else {
        const attributes = tag[3] ?? ''
        if (name === 'a' && !/^\s+href\s*=\s*"(https?:\/\/|tg:\/\/|mailto:)[^"]*"\s*$/i.test(attributes)) return { key: 'broadcast.html_href', params: {} }
        if (name === 'span' && !/^\s+class\s*=\s*"tg-spoiler"\s*$/i.test(attributes)) return { key: 'broadcast.html_tag', params: { tag: `<span${attributes}>`, allowed: BROADCAST_TAGS.map((t) => `<${t}>`).join(' ') } }
        open.push(name)
      }
      i = end + 1
      continue
    }
    if (char === '>') return { key: 'broadcast.html_escape', params: { char: '>', at: i + 1 } }
    if (char === '&') {
      const entity = ENTITY.exec(html.slice(i, i + 12))
      if (!entity) return { key: 'broadcast.html_escape', params: { char: '&', at: i + 1 } }
      i += entity[0].length
      continue
    }
    i += 1
  }
  if (open.length > 0) return { key: 'broadcast.html_unclosed', params: { tag: `<${open.at(-1)}>` } }
  if (visibleLength(html) > TELEGRAM_TEXT_LIMITS.message) return { key: 'broadcast.html_too_long', params: { limit: TELEGRAM_TEXT_LIMITS.message } }
  return null
}
