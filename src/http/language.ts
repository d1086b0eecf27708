import { getPayload, type SanitizedConfig } from 'payload'

import { t } from '../i18n'
import { DEFAULT_LANGUAGE, headerLanguage, userLanguage } from '../i18n/request'
import { AppError } from './errors'

/**
 * The guard refuses before Payload authenticates, so it answers in the Accept-Language (or
 * Russian). When the header names neither ru nor en and the request carries credentials, the
 * refusal is put into the authenticated account's language: the same rule as languageOf(req)
 * in Payload's handlers (src/i18n/request.ts), paid for only on a refusal.
 */
export async function inCallersLanguage(error: AppError, request: Request, config: Promise<SanitizedConfig>): Promise<AppError> {
  if (headerLanguage(request.headers)) return error
  if (!request.headers.get('authorization') && !request.headers.get('cookie')) return error
  try {
    const payload = await getPayload({ config })
    const { user } = await payload.auth({ headers: request.headers })
    const language = userLanguage(user)
    if (!language || language === DEFAULT_LANGUAGE) return error
    const { code, ...params } = (error.data ?? {}) as { code?: string } & Record<string, unknown>
    const textParams = Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>
    error.message = t(language, code ?? error.code, textParams)
  } catch {
    // Credentials that do not authenticate: the refusal stays in the default language.
  }
  return error
}
