/**
 * Markdown as the models write it (paragraphs, `##`/`###` headings, `-`/`1.` lists, **bold**,
 * *italic*, `code`, [links](url), `>` quotes) turned into Payload's Lexical JSON, the article
 * body's format. Telegram shows the same JSON through `lexicalToTelegramHtml`.
 */
type Node = Record<string, unknown>

const base = { format: '', indent: 0, version: 1, direction: 'ltr' as const }

function textNode(text: string, format = 0): Node {
  return { type: 'text', text, format, detail: 0, mode: 'normal', style: '', version: 1 }
}

/** Lexical's text format bits. */
const BOLD = 1
const ITALIC = 2
const CODE = 16

/**
 * Inline text: `code`, ***bold italic***, **bold** or __bold__, *italic* or _italic_, and
 * [label](https://…) links; a marker without its pair stays as typed.
 */
export function inline(text: string, format = 0): Node[] {
  const nodes: Node[] = []
  const pattern =
    /`([^`]+)`|\*\*\*(?=\S)([^*]+?)\*\*\*|\*\*(?=\S)(.+?)\*\*|__(?=\S)(.+?)__|\*(?=[^\s*])([^*]+?)\*|(?<![\p{L}\p{N}_])_(?=[^\s_])([^_]+?)_(?![\p{L}\p{N}_])|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/gu
  let last = 0
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) nodes.push(textNode(text.slice(last, match.index), format))
    if (match[1] !== undefined) nodes.push(textNode(match[1], CODE))
    else if (match[2] !== undefined) nodes.push(...inline(match[2], format | BOLD | ITALIC))
    else if (match[3] !== undefined || match[4] !== undefined) nodes.push(...inline(match[3] ?? match[4], format | BOLD))
    else if (match[5] !== undefined || match[6] !== undefined) nodes.push(...inline(match[5] ?? match[6], format | ITALIC))
    else nodes.push(linkNode(match[8], match[7]))
    last = match.index + match[0].length
  }
  if (last < text.length) nodes.push(textNode(text.slice(last), format))
  return nodes.length > 0 ? nodes : [textNode('')]
}

export function linkNode(url: string, label: string): Node {
  return { type: 'link', ...base, version: 3, fields: { url, newTab: false, linkType: 'custom' }, children: [textNode(label)] }
}

export function heading(tag: 'h2' | 'h3', text: string): Node {
  return { type: 'heading', tag, ...base, children: [textNode(text)] }
}

export function paragraph(children: Node[]): Node {
  return { type: 'paragraph', ...base, textFormat: 0, children }
}

export function list(items: Node[][], ordered = false): Node {
  return {
    type: 'list',
    listType: ordered ? 'number' : 'bullet',
    start: 1,
    tag: ordered ? 'ol' : 'ul',
    ...base,
    children: items.map((children, i) => ({ type: 'listitem', value: i + 1, ...base, children })),
  }
}

const HEADING_LINE = /^(#{1,6})\s+(.+?)\s*#*$/
const LIST_LINE = /^([-*•+]|\d+[.)])\s+/
const RULE_LINE = /^([-*_])(\s*\1){2,}$/

/**
 * Block nodes of one markdown fragment: `#`…`######` headings on any line (h2 for `#` and `##`,
 * h3 below), bulleted and numbered lists, `>` quotes, paragraphs (lines joined); rules dropped.
 */
export function markdownBlocks(markdown: string): Node[] {
  const blocks: Node[] = []
  let paragraphLines: string[] = []
  let listLines: string[] = []
  let quoteLines: string[] = []
  const flush = () => {
    if (paragraphLines.length > 0) blocks.push(paragraph(inline(paragraphLines.join(' '))))
    if (listLines.length > 0) blocks.push(list(listLines.map((l) => inline(l.replace(LIST_LINE, ''))), /^\d/.test(listLines[0])))
    if (quoteLines.length > 0) blocks.push({ type: 'quote', ...base, children: inline(quoteLines.join(' ')) })
    paragraphLines = []
    listLines = []
    quoteLines = []
  }
  for (const raw of markdown.replace(/\r/g, '').split('\n')) {
    const line = raw.trim()
    const headingMatch = HEADING_LINE.exec(line)
    if (line === '' || RULE_LINE.test(line)) flush()
    else if (headingMatch) {
      flush()
      const text = headingMatch[2].replace(/\*\*|__/g, '').trim()
      if (text) blocks.push(heading(headingMatch[1].length <= 2 ? 'h2' : 'h3', text))
    } else if (LIST_LINE.test(line)) {
      if (paragraphLines.length > 0 || quoteLines.length > 0) flush()
      if (listLines.length > 0 && /^\d/.test(listLines[0]) !== /^\d/.test(line)) flush()
      listLines.push(line)
    } else if (line.startsWith('>')) {
      if (paragraphLines.length > 0 || listLines.length > 0) flush()
      quoteLines.push(line.replace(/^>\s?/, ''))
    } else {
      if (listLines.length > 0 || quoteLines.length > 0) flush()
      paragraphLines.push(line)
    }
  }
  flush()
  return blocks
}

export type BodySection = { heading: string; level: 'h2' | 'h3'; markdown: string }

/** The article body: each section's heading and text, then the "read also" links. */
export function articleBody(sections: BodySection[], related: { title: string; url: string }[], relatedHeading: string) {
  const children: Node[] = []
  for (const section of sections) {
    children.push(heading(section.level, section.heading), ...markdownBlocks(section.markdown))
  }
  if (related.length > 0) {
    children.push(heading('h2', relatedHeading), list(related.map((r) => [linkNode(r.url, r.title)])))
  }
  return { root: { type: 'root', ...base, children } }
}

/** A markdown fragment (a section as the model wrote it) as a Lexical value of its own. */
export function markdownToLexical(markdown: string) {
  return { root: { type: 'root', ...base, children: markdownBlocks(markdown) } }
}
