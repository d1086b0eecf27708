import { APIError } from 'payload'

import { t } from '../i18n'
import { logger } from './logger'

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

/**
 * An AppError as the HTTP answer, shaped like Payload's own error bodies so API clients parse
 * one format. Refusals are the client's doing: logged at info, without a stack.
 */
export function errorResponse(error: AppError, headers: HeadersInit = {}): Response {
  logger().info({ code: error.code, status: error.status }, error.message)
  return Response.json(
    { errors: [{ name: error.name, data: error.data, message: error.message }] },
    { status: error.status, headers },
  )
}
