import type { Context, SessionFlavor } from 'grammy'
import type { Redis } from 'ioredis'
import type { Payload } from 'payload'
import type { Logger } from 'pino'

import type { Language } from '../i18n'
import type { Account } from '../payload-types'
import type { FlowState } from './flows/engine'
import type { RateLimits } from './rateLimit'

/** A pick-the-emoji human check waiting for its answer. */
export type CaptchaState = { options: string[]; answer: number; attempts: number }

/** Everything the bot remembers about a chat lives here, in Redis with a TTL. */
export type SessionData = {
  lang?: Language
  captcha?: CaptchaState
  flow?: FlowState
  /** In support mode what the customer writes goes to the staff inbox (src/bot/features/support.ts). */
  support?: boolean
}

export type BotDeps = {
  payload: Payload
  redis: Redis
  /** Every Redis key the bot writes starts with this (sessions, limits, locks). */
  keyPrefix: string
  log: Logger
  limits: RateLimits
  /** Where files sent to the bot are downloaded from: <apiRoot>/file/bot<token>/<path>. */
  fileUrl: (filePath: string) => string
}

export type Translate = (key: string, params?: Record<string, string | number>) => string

export type BotContext = Context &
  SessionFlavor<SessionData> & {
    deps: BotDeps
    /** A child of the process logger bound to this update. */
    log: Logger
    lang: Language
    t: Translate
    /** The customer behind the Telegram user; null until /start creates it. */
    account: Account | null
  }

/** The account of a context that passed the gate (every feature after it). */
export function accountOf(ctx: BotContext): Account {
  if (!ctx.account) throw new Error('accountOf called before the account gate')
  return ctx.account
}
