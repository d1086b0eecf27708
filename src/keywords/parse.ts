import { z } from 'zod'

import { normalizePhrase } from '../lib/text'

export const MAX_IMPORT_PHRASES = 500
export const MAX_IMPORT_BYTES = 256 * 1024

export const Phrase = z.string().trim().min(2).max(200)

export type ParsedList = { phrases: string[]; invalid: string[]; repeated: number }

/**
 * A keyword list as people send it: one phrase a line, or separated by ';'. For a CSV the first
 * column is the phrase and a header row is skipped. Repeats inside the list are counted, not kept.
 */
export function parseKeywordList(text: string, format: 'text' | 'csv' = 'text'): ParsedList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const cells =
    format === 'csv'
      ? lines
          .map(firstCsvCell)
          .filter(
            (cell, index) =>
              !(index === 0 && /^(keyword|phrase|query|ключ|фраза|запрос)/i.test(cell)),
          )
      : lines.flatMap((line) => line.split(';'))
  const seen = new Set<string>()
  const phrases: string[] = []
  const invalid: string[] = []
  let repeated = 0
  for (const raw of cells) {
    const cell = raw.trim().replace(/^[-•*\d.)\s]+(?=\D)/, '')
    if (cell === '') continue
    const parsed = Phrase.safeParse(cell)
    if (!parsed.success) {
      invalid.push(cell.slice(0, 60))
      continue
    }
    const key = normalizePhrase(parsed.data)
    if (seen.has(key)) {
      repeated += 1
      continue
    }
    seen.add(key)
    phrases.push(parsed.data)
  }
  return { phrases, invalid, repeated }
}

function firstCsvCell(line: string): string {
  const trimmed = line.trim()
  if (trimmed.startsWith('"')) {
    const match = trimmed.match(/^"((?:[^"]|"")*)"/)
    return match ? match[1].replace(/""/g, '"') : trimmed
  }
  return trimmed.split(/[,;\t]/)[0] ?? ''
}
