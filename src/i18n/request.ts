import type { PayloadRequest } from 'payload'

import { isLanguage, type Language } from '.'

/** The language to answer this request in: the account's own, else the admin's, else the header. */
export function languageOf(req: Partial<Pick<PayloadRequest, 'user' | 'i18n' | 'headers'>>): Language {
  const user = req.user as { collection?: string; language?: unknown } | null | undefined
  if (user?.collection === 'accounts' && isLanguage(user.language)) return user.language
  const adminLanguage = req.i18n?.language
  if (user?.collection === 'users' && isLanguage(adminLanguage)) return adminLanguage
  const header = req.headers?.get?.('accept-language') ?? ''
  return header.toLowerCase().startsWith('en') ? 'en' : 'ru'
}
