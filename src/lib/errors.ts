import { APIError } from 'payload'

import { t } from '../i18n'

/**
 * The one error type with a code. Its message is translated for the person who caused it and
 * is safe to show; `code` lets the bot and API clients react without parsing words.
 */
export class AppError extends APIError<{ code: string; [key: string]: unknown }> {
  constructor(
    public readonly code: string,
    status: number,
    language: string | null | undefined,
    params: Record<string, string | number> = {},
  ) {
    super(t(language, code, params), status, { code, ...params }, true)
    this.name = 'AppError'
  }
}
