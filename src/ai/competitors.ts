import { Readability } from '@mozilla/readability'
import { parseHTML } from 'linkedom'
import type { Logger } from 'pino'

import { countWords } from '../lib/text'
import { MAX_COMPETITORS } from '../projects/schema'
import { fetchPublicPage } from './safeFetch'

export type PageSummary = { url: string; title: string; headings: string[]; words: number; lead: string }

/** The main text of an article page (Readability over linkedom), with its headings. */
export function extractMainText(html: string, url: string): PageSummary {
  const { document } = parseHTML(html)
  const headings = [...document.querySelectorAll('h2, h3')]
    .map((h) => (h.textContent ?? '').replace(/\s+/g, ' ').trim())
    .filter((h) => h.length > 0 && h.length < 150)
    .slice(0, 15)
  const article = new Readability(document as unknown as Document).parse()
  const text = (article?.textContent ?? document.body?.textContent ?? '').replace(/\s+/g, ' ').trim()
  const title = (article?.title ?? document.querySelector('title')?.textContent ?? '').trim()
  return { url, title, headings, words: countWords(text), lead: text.slice(0, 500) }
}

/**
 * What the competitors' pages cover, as text for the brief: title, headings, length and opening.
 * Extractive (no model call), so it costs nothing and cannot invent; a page that cannot be read
 * safely is named with the reason and skipped.
 */
export async function summariseCompetitors(urls: string[], log: Logger): Promise<string> {
  const parts: string[] = []
  for (const url of urls.slice(0, MAX_COMPETITORS)) {
    try {
      const page = await fetchPublicPage(url)
      const summary = extractMainText(page.body, page.url)
      parts.push(
        [
          `• ${summary.title || url} (${url}), ~${summary.words} words`,
          summary.headings.length > 0 ? `  Headings: ${summary.headings.join(' | ')}` : '',
          summary.lead ? `  Opening: ${summary.lead}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      )
    } catch (error) {
      log.info({ url, err: (error as Error).message }, 'competitor page skipped')
      parts.push(`• ${url}: not read (${(error as Error).message})`)
    }
  }
  return parts.join('\n')
}
