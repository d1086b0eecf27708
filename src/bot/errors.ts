import { APIError, ValidationError } from 'payload'
import { ZodError } from 'zod'

import { AppError } from '../http/errors'
import type { Translate } from './context'
import { esc } from './ui'

/**
 * What a customer should read (HTML-safe) for an error we expect (not found, refused, invalid), or
 * null for anything else, which the error boundary logs and answers with an apology.
 */
export function describeKnownError(error: unknown, t: Translate): string | null {
  if (error instanceof AppError) return esc(error.message)
  if (error instanceof ValidationError) {
    const details = error.data.errors
      .map((e) => e.message)
      .filter(Boolean)
      .join('; ')
    return t('err.validation', { details: details || t('err.invalid_input') })
  }
  if (error instanceof ZodError) return t('err.invalid_input')
  if (error instanceof APIError) {
    if (error.status === 404) return t('err.not_found')
    if (error.status === 403 || error.status === 401) return t('err.forbidden')
    if (error.status < 500 && error.isPublic) return esc(error.message)
  }
  return null
}

/** Callback alerts are plain text: undo the HTML escaping of a message. */
export function plain(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
