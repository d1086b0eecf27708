import { APIError, type AfterErrorHook } from 'payload'

import { t } from '../i18n'
import { languageOf } from '../i18n/request'
import { sqlState } from '../lib/dbErrors'
import { logger } from '../lib/logger'

/**
 * A refusal meant for the person who caused it: the message is translated for them and safe to
 * show, `code` (an i18n key) lets the bot and API clients react without parsing words, `status`
 * is the HTTP answer. Other errors carry codes too (PublishError, OAuthError); this one is what
 * Payload and the bot answer a person with.
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

/** Payload's own error body, so API clients parse one format. */
const errorBody = (error: AppError) => ({ errors: [{ name: error.name, data: error.data, message: error.message }] })

/**
 * An AppError as the HTTP answer, shaped like Payload's own error bodies so API clients parse
 * one format. Refusals are the client's doing: logged at info, without a stack.
 */
export function errorResponse(error: AppError, headers: HeadersInit = {}): Response {
  logger().info({ code: error.code, status: error.status }, error.message)
  return Response.json(errorBody(error), { status: error.status, headers })
}

/**
 * PostgreSQL's data exceptions (class 22), operator/type mismatches, and an ambiguous column
 * (42702: a JSON filter through a relationship's join; the guard refuses those paths first).
 */
const INPUT_SQLSTATE = /^(22...|42702|42804|42883)$/

/**
 * What @payloadcms/drizzle throws for a `where` it cannot build: "Not supported" for a path (a
 * polymorphic relationship compared with a bare id) and "<x>.operators[<y>] is not a function"
 * for an operator missing from its map (`all`). Matched on messages: class names are minified.
 */
const UNSUPPORTED_FILTER = /^Not supported$|\boperators\[\w+\] is not a function$/

function unsupportedFilter(error: unknown): boolean {
  const message = (error as { message?: unknown })?.message
  const original = (error as { originalError?: { message?: unknown } })?.originalError?.message
  return [message, original].some((text) => typeof text === 'string' && UNSUPPORTED_FILTER.test(text))
}

/**
 * The last net behind the HTTP guard (src/http): a value that PostgreSQL rejects as data, or
 * a filter the database adapter cannot run, is the caller's mistake, so it is a 400 with a
 * message, not a 500.
 */
export const answerInputErrorsWith4xx: AfterErrorHook = ({ error, req, graphqlResult }) => {
  const state = sqlState(error)
  const badValue = Boolean(state && INPUT_SQLSTATE.test(state))
  if (!badValue && !unsupportedFilter(error)) return
  const details = badValue ? 'a value does not fit its field' : 'this filter is not supported; see the where operators for the field'
  const refusal = new AppError('request.invalid', 400, languageOf(req), { details })
  if (graphqlResult) {
    return { graphqlResult: { ...graphqlResult, message: refusal.message, extensions: { ...graphqlResult.extensions, statusCode: 400 } } }
  }
  return { response: errorBody(refusal), status: 400 }
}
