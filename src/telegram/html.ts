import { escapeHtml, escapeHtmlAttribute } from '../lib/text'
import { TELEGRAM_TEXT_LIMITS } from './limits'

/**
 * Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style): the one converter
 * from our rich text to it and the one splitter of long texts, used by the bot ("Read", sections
 * as they are written) and by the Telegram channel connector alike.
 */

type LexicalNode = {
  type?: string
  text?: string
  format?: number | string
  tag?: string
  listType?: string
  start?: number
  url?: string
  fields?: { url?: string }
  children?: LexicalNode[]
}

/** Lexical's text format bits. */
const BOLD = 1
const ITALIC = 2
const STRIKETHROUGH = 4
const UNDERLINE = 8
const CODE = 16

const SAFE_URL = /^(https?:\/\/|tg:\/\/|mailto:)/i

function inlineHtml(nodes: LexicalNode[] | undefined, inHeading = false): string {
  return (nodes ?? [])
    .map((node) => {
      if (node.type === 'linebreak') return '\n'
      if (node.type === 'tab') return '\t'
      if (typeof node.text === 'string') {
        const format = typeof node.format === 'number' ? node.format : 0
        let html = escapeHtml(node.text)
        if (html === '') return ''
        // Code takes no other formatting inside it in Telegram.
        if (format & CODE) return `<code>${html}</code>`
        if (format & BOLD && !inHeading) html = `<b>${html}</b>`
        if (format & ITALIC) html = `<i>${html}</i>`
        if (format & UNDERLINE) html = `<u>${html}</u>`
        if (format & STRIKETHROUGH) html = `<s>${html}</s>`
        return html
      }
      const inner = inlineHtml(node.children, inHeading)
      if (node.type === 'link' || node.type === 'autolink') {
        const url = node.fields?.url ?? node.url ?? ''
        return SAFE_URL.test(url) && inner.trim() ? `<a href="${escapeHtmlAttribute(url)}">${inner}</a>` : inner
      }
      return inner
    })
    .join('')
}

function listHtml(node: LexicalNode, depth: number): string {
  const ordered = node.listType === 'number' || node.tag === 'ol'
  const indent = '    '.repeat(depth)
  let n = typeof node.start === 'number' ? node.start : 1
  const lines: string[] = []
  for (const item of node.children ?? []) {
    const nested = (item.children ?? []).filter((c) => c.type === 'list')
    const own = (item.children ?? []).filter((c) => c.type !== 'list')
    const text = inlineHtml(own).trim()
    if (text) {
      const marker = ordered ? `${n}.` : node.listType === 'check' ? '☐' : '•'
      lines.push(`${indent}${marker} ${text}`)
      n += 1
    }
    for (const list of nested) lines.push(listHtml(list, depth + 1))
  }
  return lines.join('\n')
}

function blockHtml(node: LexicalNode): string {
  switch (node.type) {
    case 'heading':
      return `<b>${inlineHtml(node.children, true).trim()}</b>`
    case 'list':
      return listHtml(node, 0)
    case 'quote':
      return `<blockquote>${inlineHtml(node.children).trim()}</blockquote>`
    case 'code':
      return `<pre>${escapeHtml(plainOf(node))}</pre>`
    case 'horizontalrule':
      return '———'
    default:
      return typeof node.text === 'string' ? inlineHtml([node]) : inlineHtml(node.children).trim()
  }
}

function plainOf(node: LexicalNode): string {
  if (typeof node.text === 'string') return node.text
  if (node.type === 'linebreak') return '\n'
  return (node.children ?? []).map(plainOf).join('')
}

/**
 * Lexical rich text (an article body) as Telegram HTML: headings as bold lines, bold, italic,
 * underline, strikethrough, code, links, bulleted and numbered lists, quotes; every text
 * escaped; blocks separated by a blank line. Uploads and other embeds are left out.
 */
export function lexicalToTelegramHtml(value: unknown): string {
  const root = (value as { root?: LexicalNode } | null | undefined)?.root
  return (root?.children ?? [])
    .map(blockHtml)
    .filter((block) => block.replace(/<[^>]+>/g, '').trim() !== '')
    .join('\n\n')
}

type Unit =
  | { kind: 'text'; raw: string; visible: number }
  | { kind: 'open'; raw: string; name: string }
  | { kind: 'close'; raw: string; name: string }

const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]+|[<&]/g

function units(html: string): Unit[] {
  const out: Unit[] = []
  for (const match of html.matchAll(TOKEN)) {
    const raw = match[0]
    if (match[2] !== undefined) {
      out.push({ kind: match[1] ? 'close' : 'open', raw, name: match[2].toLowerCase() })
    } else if (raw.startsWith('&') && raw.length > 1) {
      const code = raw.startsWith('&#x') ? parseInt(raw.slice(3), 16) : raw.startsWith('&#') ? Number(raw.slice(2, -1)) : 0
      out.push({ kind: 'text', raw, visible: code > 0xffff ? 2 : 1 })
    } else {
      // One unit per code point, so a cut never splits a surrogate pair.
      for (const char of raw) out.push({ kind: 'text', raw: char, visible: char.length })
    }
  }
  return out
}

/** How long Telegram counts a text in HTML parse mode: characters after entity parsing (UTF-16). */
export function visibleLength(html: string): number {
  return units(html).reduce((sum, u) => sum + (u.kind === 'text' ? u.visible : 0), 0)
}

/** A block that is one bold line: how headings come out of `lexicalToTelegramHtml`. */
const HEADING = /^<b>[^\n]*<\/b>$/
const isSpace = (u: Unit | undefined) => u?.kind === 'text' && /^\s$/.test(u.raw)
const isNewline = (u: Unit | undefined) => u?.kind === 'text' && u.raw === '\n'

/**
 * Telegram HTML cut into messages of at most `limit` characters after entity parsing, at block
 * boundaries (blank lines), then lines, then words, and hard only inside a word longer than a
 * message. A cut never falls inside a tag or an entity: tags open at a cut are closed at the
 * end of one part and opened again at the start of the next, so every part is valid on its own.
 * Nothing is dropped but the whitespace at a cut.
 */
export function splitTelegramHtml(html: string, limit: number = TELEGRAM_TEXT_LIMITS.message): string[] {
  const all = units(html.trim())
  const parts: string[] = []
  let stack: Extract<Unit, { kind: 'open' }>[] = []
  let i = 0
  while (i < all.length) {
    // The furthest end that fits, and the best cut of each kind before it.
    let visible = 0
    let end = i
    const cuts = { block: -1, line: -1, word: -1 }
    const blocks: number[] = []
    while (end < all.length) {
      const u = all[end]
      if (u.kind === 'text') {
        if (visible + u.visible > limit) break
        if (isSpace(u) && end > i) {
          const half = visible >= limit / 2
          if (isNewline(u) && isNewline(all[end + 1]) && !isNewline(all[end - 1])) {
            blocks.push(end)
            // A heading stays with the block it introduces.
            const from = blocks.length > 1 ? blocks[blocks.length - 2] : i
            const block = all.slice(from, end).map((b) => b.raw).join('').trim()
            if (half && !HEADING.test(block)) cuts.block = end
          }
          else if (isNewline(u) && half && !isNewline(all[end - 1])) cuts.line = end
          else if (half && !isSpace(all[end - 1])) cuts.word = end
        }
        visible += u.visible
      }
      end += 1
    }
    let cut = end
    if (end < all.length) cut = [cuts.block, cuts.line, cuts.word].find((c) => c > i) ?? end
    // The part: the tags still open from the previous part, its units, closing tags for what is open.
    const open = [...stack]
    let raw = open.map((t) => t.raw).join('')
    let stop = cut
    while (stop > i && isSpace(all[stop - 1])) stop -= 1
    for (let k = i; k < cut; k += 1) {
      const u = all[k]
      if (k < stop || u.kind !== 'text') raw += u.raw
      if (u.kind === 'open') stack.push(u)
      if (u.kind === 'close') {
        const at = stack.map((t) => t.name).lastIndexOf(u.name)
        if (at >= 0) stack = stack.slice(0, at)
      }
    }
    raw += [...stack].reverse().map((t) => `</${t.name}>`).join('')
    if (visibleLength(raw) > 0) parts.push(raw)
    if (cut === i) break
    i = cut
    while (i < all.length && isSpace(all[i])) i += 1
  }
  return parts
}

/** Plain text as Telegram HTML, cut like `splitTelegramHtml`. */
export function splitTelegramText(text: string, limit: number = TELEGRAM_TEXT_LIMITS.message): string[] {
  return splitTelegramHtml(escapeHtml(text), limit)
}
