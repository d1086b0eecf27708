import { convertLexicalToHTML } from '@payloadcms/richtext-lexical/html'
import type { SerializedEditorState } from 'lexical'

import { escapeHtmlAttribute } from '../lib/text'

/** Plain text (paragraphs split by blank lines) as HTML paragraphs, single breaks kept. */
export function paragraphsToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtmlAttribute(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n')
}

/**
 * An article body as HTML for a CMS: the rich text's headings, paragraphs, lists and links, or
 * the plain text as paragraphs when there is no rich text.
 */
export function richTextToHtml(value: unknown, fallbackText: string): string {
  const root = (value as { root?: { children?: unknown[] } } | null | undefined)?.root
  if (root?.children?.length) {
    const html = convertLexicalToHTML({ data: value as SerializedEditorState, disableContainer: true, disableIndent: true })
    if (html.trim()) return html
  }
  return paragraphsToHtml(fallbackText)
}
