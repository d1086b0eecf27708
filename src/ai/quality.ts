import { countWords } from '../lib/text'

/** Signals an editor checks before approving: readability, keyword use, overlap with siblings. */
export type QualitySignals = {
  readability: number
  keywordOccurrences: number
  keywordDensity: number
  keywordInTitle: boolean
  keywordInH2: boolean
  keywordInFirstParagraph: boolean
}

const lower = (text: string) => text.toLowerCase().replace(/ё/g, 'е')
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu

function syllables(word: string, language: 'ru' | 'en'): number {
  if (language === 'ru') return Math.max(1, (word.match(/[аеёиоуыэюя]/gi) ?? []).length)
  const w = word.toLowerCase().replace(/e$/, '')
  return Math.max(1, (w.match(/[aeiouy]+/g) ?? []).length)
}

/**
 * Flesch reading ease, 0 (hard) to 100 (easy). English uses Flesch's constants; Russian the
 * Oborneva adaptation (206.835 − 1.3·ASL − 60.1·ASW), since Russian words are longer.
 */
export function readingEase(text: string, language: 'ru' | 'en'): number {
  const words = text.match(WORD) ?? []
  if (words.length === 0) return 0
  const sentences = Math.max(1, (text.match(/[.!?…]+(\s|$)/g) ?? []).length)
  const asl = words.length / sentences
  const asw = words.reduce((sum, w) => sum + syllables(w, language), 0) / words.length
  const score = language === 'ru' ? 206.835 - 1.3 * asl - 60.1 * asw : 206.835 - 1.015 * asl - 84.6 * asw
  return Math.round(Math.min(100, Math.max(0, score)) * 10) / 10
}

/** A loose stem per keyword word, so «кофе в зернах» also matches «кофе в зёрнах» and «зерна». */
function keywordPattern(keyword: string): RegExp | null {
  const parts = lower(keyword).match(WORD) ?? []
  if (parts.length === 0) return null
  const stems = parts.map((p) => {
    const stem = p.length > 5 ? p.slice(0, p.length - 2) : p.length > 3 ? p.slice(0, p.length - 1) : p
    return `${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\p{L}\\p{N}]*`
  })
  return new RegExp(`(?<![\\p{L}\\p{N}])${stems.join('[^\\p{L}\\p{N}]+')}`, 'gu')
}

export function keywordOccurrences(text: string, keyword: string): number {
  const pattern = keywordPattern(keyword)
  return pattern ? (lower(text).match(pattern) ?? []).length : 0
}

export function qualitySignals(input: {
  title: string
  h2s: string[]
  paragraphs: string[]
  text: string
  keyword: string
  language: 'ru' | 'en'
}): QualitySignals {
  const words = countWords(input.text)
  const occurrences = keywordOccurrences(input.text, input.keyword)
  const keywordWords = countWords(input.keyword)
  return {
    readability: readingEase(input.text, input.language),
    keywordOccurrences: occurrences,
    keywordDensity: words === 0 ? 0 : Math.round(((occurrences * keywordWords) / words) * 1000) / 10,
    keywordInTitle: keywordOccurrences(input.title, input.keyword) > 0,
    keywordInH2: input.h2s.some((h) => keywordOccurrences(h, input.keyword) > 0),
    keywordInFirstParagraph: keywordOccurrences(input.paragraphs[0] ?? '', input.keyword) > 0,
  }
}

/** Word 5-shingles of a text (lower case, ё as е). */
export function shingles(text: string, size = 5): Set<string> {
  const words = lower(text).match(WORD) ?? []
  const result = new Set<string>()
  for (let i = 0; i + size <= words.length; i += 1) result.add(words.slice(i, i + size).join(' '))
  return result
}

/** Jaccard overlap of two shingle sets, 0 (nothing shared) to 1 (the same text). */
export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0
  let shared = 0
  for (const s of a) if (b.has(s)) shared += 1
  return shared / (a.size + b.size - shared)
}
