/**
 * Text helpers with one rule each. HTML escaping: `&`, `<` and `>` in any text put into HTML
 * (Telegram's HTML parse mode, CMS HTML); `"` too where the text goes into an attribute value.
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

/** Escaped for an HTML attribute value in double quotes (a link's href). */
export function escapeHtmlAttribute(value: unknown): string {
  return escapeHtml(value).replace(/"/g, '&quot;')
}

/**
 * A label shortened to `max` characters, "…" marking the cut (button labels, list lines). Never
 * for content a customer reads in full: split that into several messages instead.
 */
export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}

/** Lower case, ё as е, single spaces, no surrounding punctuation: how keyword duplicates are found. */
export function normalizePhrase(phrase: string): string {
  return phrase
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/^[\s.,;:!?"'«»()-]+|[\s.,;:!?"'«»()-]+$/g, '')
}

type LexicalNode = { type?: string; text?: string; children?: LexicalNode[] }

/** Plain text of a Lexical rich-text value, blocks separated by blank lines. */
export function lexicalToPlainText(value: unknown): string {
  const root = (value as { root?: LexicalNode } | null | undefined)?.root
  if (!root) return ''
  const walk = (node: LexicalNode): string => {
    if (typeof node.text === 'string') return node.text
    const inner = (node.children ?? []).map(walk).join('')
    return node.type === 'paragraph' || node.type === 'heading' || node.type === 'listitem' ? `${inner}\n\n` : inner
  }
  return walk(root).trim()
}

export function countWords(text: string): number {
  return (text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []).length
}

export function slugify(text: string): string {
  const map: Record<string, string> = {
    а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k',
    л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts',
    ч: 'ch', ш: 'sh', щ: 'sch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
  }
  return text
    .toLowerCase()
    .split('')
    .map((c) => map[c] ?? c)
    .join('')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
}

/** A base URL without its trailing slashes, ready for `${base}/path`. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
