import { z } from 'zod'

import { normalizePhrase } from '../lib/text'

export const MAX_IMPORT_PHRASES = 500
export const MAX_IMPORT_BYTES = 256 * 1024

export const Phrase = z.string().trim().min(2).max(200)

export type ParsedList = { phrases: string[]; invalid: string[]; urls: string[]; repeated: number }

/**
 * A site address is not a keyword: "https://…", "www.…", or one word ending in a domain
 * ("zerno.ru", "домашнийуют.рф/blog"). Brand names with a dot ("Яндекс.Маркет") are kept.
 */
export function looksLikeUrl(phrase: string): boolean {
  const value = phrase.trim().toLowerCase()
  if (/^(https?:\/\/|www\.)/.test(value) || value.includes('://')) return true
  return /^[^\s/]+\.(?:[a-z]{2,6}|рф|рус|москва|онлайн|сайт|бел|укр|қаз)(?:[/?#:]\S*)?$/.test(value)
}

/**
 * The text of an uploaded list, whatever Excel or Notepad saved it as: a byte-order mark says
 * UTF-8 or UTF-16; otherwise valid UTF-8 is UTF-8, and anything else is taken as Windows-1251,
 * the default of Russian Windows and Excel's "CSV" export.
 */
export function decodeTextFile(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return new TextDecoder('windows-1251').decode(bytes)
  }
}

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
  const urls: string[] = []
  let repeated = 0
  for (const raw of cells) {
    const cell = raw.trim().replace(/^[-•*\d.)\s]+(?=\D)/, '')
    if (cell === '') continue
    if (looksLikeUrl(cell)) {
      urls.push(cell.slice(0, 60))
      continue
    }
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
  return { phrases, invalid, urls, repeated }
}

function firstCsvCell(line: string): string {
  const trimmed = line.trim()
  if (trimmed.startsWith('"')) {
    const match = trimmed.match(/^"((?:[^"]|"")*)"/)
    return match ? match[1].replace(/""/g, '"') : trimmed
  }
  return trimmed.split(/[,;\t]/)[0] ?? ''
}
