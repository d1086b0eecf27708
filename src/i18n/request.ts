import type { PayloadRequest } from 'payload'

import { isLanguage, type Language } from '.'

/** The product is Russian-first: what a request is answered in when nothing names a language. */
export const DEFAULT_LANGUAGE: Language = 'ru'

/**
 * The language an Accept-Language header names among ours (ru, en), by its q-values and then
 * order (`en-US;q=0.9, ru;q=0.8` → en), or null when it names neither.
 */
export function headerLanguage(headers: Pick<Headers, 'get'> | null | undefined): Language | null {
  const header = headers?.get?.('accept-language') ?? ''
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...rest] = part.trim().split(';')
      const q = rest.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
      return { base: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index }
    })
    .filter((entry) => entry.q > 0 && isLanguage(entry.base))
    .sort((a, b) => b.q - a.q || a.index - b.index)
  return ranked.length > 0 ? (ranked[0].base as Language) : null
}

/** The authenticated caller's own language (a customer account's setting; staff have none). */
export function userLanguage(user: unknown): Language | null {
  const u = user as { collection?: string; language?: unknown } | null | undefined
  return u && isLanguage(u.language) ? u.language : null
}

/**
 * The one rule for the language of API answers and errors, on every face (the HTTP guard in
 * src/http and Payload's route handlers alike): Accept-Language when it names ru or en, else the
 * authenticated account's language, else Russian.
 */
export function languageOf(req: Partial<Pick<PayloadRequest, 'user' | 'headers'>>): Language {
  return headerLanguage(req.headers) ?? userLanguage(req.user) ?? DEFAULT_LANGUAGE
}
