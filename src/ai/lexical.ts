/**
 * Markdown as the models write it (paragraphs, `###` subheadings, `-`/`1.` lists, **bold**,
 * [links](url)) turned into Payload's Lexical JSON, the article body's format.
 */
type Node = Record<string, unknown>

const base = { format: '', indent: 0, version: 1, direction: 'ltr' as const }

function textNode(text: string, format = 0): Node {
  return { type: 'text', text, format, detail: 0, mode: 'normal', style: '', version: 1 }
}

/** Inline text: **bold** becomes bold text, [label](https://…) a link. */
export function inline(text: string): Node[] {
  const nodes: Node[] = []
  const pattern = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g
  let last = 0
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) nodes.push(textNode(text.slice(last, match.index)))
    if (match[1] !== undefined) nodes.push(textNode(match[1], 1))
    else nodes.push(linkNode(match[3], match[2]))
    last = match.index + match[0].length
  }
  if (last < text.length) nodes.push(textNode(text.slice(last)))
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

/** Block nodes of one markdown fragment. */
export function markdownBlocks(markdown: string): Node[] {
  const blocks: Node[] = []
  for (const chunk of markdown.replace(/\r/g, '').split(/\n{2,}/)) {
    const lines = chunk.split('\n').map((l) => l.trim()).filter(Boolean)
    if (lines.length === 0) continue
    const headingMatch = /^(#{2,4})\s+(.+)$/.exec(lines[0])
    if (headingMatch) {
      blocks.push(heading(headingMatch[1].length === 2 ? 'h2' : 'h3', headingMatch[2].replace(/\*\*/g, '')))
      if (lines.length > 1) blocks.push(...markdownBlocks(lines.slice(1).join('\n')))
      continue
    }
    if (lines.every((l) => /^([-*•]|\d+[.)])\s+/.test(l))) {
      blocks.push(list(lines.map((l) => inline(l.replace(/^([-*•]|\d+[.)])\s+/, ''))), /^\d/.test(lines[0])))
      continue
    }
    blocks.push(paragraph(inline(lines.join(' '))))
  }
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
