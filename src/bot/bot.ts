import { sequentialize } from '@grammyjs/runner'
import { Bot, BotError, Composer, session, type MiddlewareFn } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'
import type { Redis } from 'ioredis'
import type { Payload } from 'payload'
import type { Logger } from 'pino'

import { logger } from '../lib/logger'
import { isOutage } from '../lib/outage'
import { databaseScope } from '../lib/redis'
import { cachedAccountByTelegramId } from '../accounts/cache'
import { touchLastSeen } from '../accounts/lastSeen'
import { errorTrackingOn, markFailed, metrics, reportError } from '../lib/telemetry'
import type { BotContext, BotDeps, SessionData } from './context'
import { describeKnownError, plain } from './errors'
import { competitorAddFlow, projectCreateFlow, projectEditFlow, projects } from './features/projects'
import { articleMetaFlow, content, reviewNoteFlow } from './features/content'
import { channelMembership, connectFixFlow, connectFlow, connections } from './features/connections'
import { importFlow, keywords, surveyFlow } from './features/keywords'
import { contentImageFlow, contentImages } from './features/contentImages'
import { media, mediaAltFlow, mediaUploadFlow } from './features/media'
import { menu } from './features/menu'
import { publications } from './features/publications'
import { schedules } from './features/schedules'
import { gate, start } from './features/start'
import { unhandled } from './features/unhandled'
// Billing (B3): /plan, buying, /paysupport, /terms; Telegram's payment updates; limit refusals' buttons.
import { billing, payments, receiptFlow } from './features/billing'
import { isLimitRefusal, upgradeKeyboard } from './keyboards/upgrade'
// Staff tools (O8): support, my data (export, delete, announcements)
import { support } from './features/support'
import { deleteAccountFlow, privacy } from './features/privacy'
import { flowInput } from './flows/engine'
import { scheduleCreateFlow, scheduleEditFlow } from './flows/schedule'
import { outgoingLimits, sendBudgetPrefix, type OutgoingLimits } from '../telegram/outgoing'
import { languageFromTelegram, tr } from '../i18n'
import { DEFAULT_LIMITS, takeToken, type RateLimits, type TakeResult } from './rateLimit'
import { RedisSessionStorage } from './sessionStorage'

export type CreateBotOptions = {
  token: string
  payload: Payload
  redis: Redis
  /** A Bot API other than Telegram's (a local Bot API server, or a fake one in tests). */
  apiRoot?: string
  /** Skips getMe at start-up when given. */
  botInfo?: UserFromGetMe
  keyPrefix?: string
  log?: Logger
  limits?: RateLimits
  /** How long a quiet chat's session (and any open conversation) is kept. */
  sessionTtlSeconds?: number
  /** Where files sent to the bot are downloaded from, when not the Bot API's file route. */
  fileUrl?: (filePath: string) => string
  /** Pacing of what the bot sends (Telegram's limits by default). */
  outgoing?: OutgoingLimits
}

export const FLOWS = [
  projectCreateFlow,
  projectEditFlow,
  competitorAddFlow,
  surveyFlow,
  importFlow,
  reviewNoteFlow,
  articleMetaFlow,
  connectFlow,
  connectFixFlow,
  scheduleCreateFlow,
  scheduleEditFlow,
  mediaUploadFlow,
  mediaAltFlow,
  contentImageFlow,
  receiptFlow,
  deleteAccountFlow,
]

/**
 * Where the bot keeps sessions, update ids and limits in Redis: scoped to the database, so two
 * installations (or a staging and a production) sharing one Redis never read each other's state.
 */
export function botKeyPrefix(): string {
  return `pf:bot:${databaseScope()}:`
}

/**
 * Builds the bot; nothing connects or listens until the caller starts polling or mounts the
 * webhook. Every piece of per-user state is in Redis under `keyPrefix`, with a TTL.
 */
export function createBot(options: CreateBotOptions): Bot<BotContext> {
  const apiRoot = (options.apiRoot ?? 'https://api.telegram.org').replace(/\/$/, '')
  const bot = new Bot<BotContext>(options.token, {
    botInfo: options.botInfo,
    // Behind the webhook, the answer to a button press rides back in the HTTP response to
    // Telegram instead of costing a call of its own (polling and tests call it as usual).
    client: { apiRoot, canUseWebhookReply: (method) => method === 'answerCallbackQuery' },
  })
  const keyPrefix = options.keyPrefix ?? botKeyPrefix()
  const root = options.log ?? logger().child({ process: 'bot' })
  const deps: BotDeps = {
    payload: options.payload,
    redis: options.redis,
    keyPrefix,
    log: root,
    limits: options.limits ?? DEFAULT_LIMITS,
    fileUrl: options.fileUrl ?? ((filePath) => `${apiRoot}/file/bot${options.token}/${filePath}`),
  }

  bot.api.config.use(
    outgoingLimits(options.redis, { keyPrefix: sendBudgetPrefix(options.token), limits: options.outgoing, log: root }),
  )
  bot.use(attach(deps))
  bot.use(answerCallbacksAlways)

  // One boundary around everything that reads the update, Redis or the database, so no error
  // escapes with the context (and the token) attached: session, ordering, limits and account
  // loading included.
  const chats = new Composer<BotContext>()
  const privateChats = chats.chatType('private')
  privateChats.use(sequentialize((ctx) => String(ctx.chat.id)))
  // The flood limit's token is asked for together with the session read (one round trip, not
  // two); rateLimit below still decides before anything else runs.
  privateChats.use(askToken)
  privateChats.use(
    session<SessionData, BotContext>({
      initial: () => ({}),
      prefix: `${keyPrefix}session:`,
      storage: new RedisSessionStorage<SessionData>(options.redis, options.sessionTtlSeconds ?? 3 * 24 * 60 * 60),
    }),
  )
  privateChats.use(async (ctx, next) => {
    if (ctx.session.lang) ctx.lang = ctx.session.lang
    await next()
  })
  privateChats.use(rateLimit, loadAccount)
  privateChats.use(
    start,
    gate,
    privacy,
    support,
    menu,
    billing,
    projects,
    keywords,
    content,
    contentImages,
    schedules,
    publications,
    connections,
    media,
    flowInput(FLOWS),
    unhandled,
  )
  // What the boundary passes on (an outage) is the caller's: the webhook answers 503, polling
  // handles the update again (delivery.ts).
  // Payment updates come first and outside the private chats: a pre_checkout_query has no chat, and
  // a successful_payment must reach the ledger whatever the rate limit or the human check say.
  bot.errorBoundary(onError, channelMembership, payments, chats)
  return bot
}

function attach(deps: BotDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    ctx.deps = deps
    // Made on first use: most updates log nothing at the production level, and a child logger
    // costs its bindings' serialization.
    let log: Logger | undefined
    Object.defineProperty(ctx, 'log', {
      get: () => (log ??= deps.log.child({ update_id: ctx.update.update_id, user: ctx.from?.id })),
      set: (value: Logger) => (log = value),
      configurable: true,
      enumerable: true,
    })
    ctx.lang = languageFromTelegram(ctx.from?.language_code)
    ctx.t = (key, params) => tr(ctx.lang, key, params)
    ctx.account = null
    await next()
  }
}

/** Telegram shows a spinner until a button press is answered: whatever happens, answer it. */
const answerCallbacksAlways: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (!ctx.callbackQuery) return next()
  let answered = false
  const answer = ctx.answerCallbackQuery.bind(ctx)
  ctx.answerCallbackQuery = (...args) => {
    answered = true
    return answer(...args)
  }
  try {
    await next()
  } finally {
    if (!answered)
      await answer().catch((error) =>
        ctx.log.warn({ err: error }, 'could not answer callback query'),
      )
  }
}

/** The flood limit's answer for an update, asked for before the session is read. */
const tokens = new WeakMap<BotContext, Promise<TakeResult>>()

const askToken: MiddlewareFn<BotContext> = (ctx, next) => {
  const { redis, keyPrefix, limits } = ctx.deps
  const asked = takeToken(redis, `${keyPrefix}rl:${ctx.from!.id}`, limits.updates, limits.noticeWindowMs)
  // Awaited by rateLimit; if the session read fails first, its error is the one passed on.
  asked.catch(() => {})
  tokens.set(ctx, asked)
  return next()
}

/**
 * About one update a second per user with a burst of five; beyond it updates are dropped and the
 * user hears "slow down" once per window, however many were dropped.
 */
const rateLimit: MiddlewareFn<BotContext> = async (ctx, next) => {
  const result = await tokens.get(ctx)!
  if (result.allowed) return next()
  metrics().rateLimited.inc({ limiter: 'bot_updates' })
  ctx.log.info({ notify: result.notify }, 'rate limited')
  if (ctx.callbackQuery)
    await ctx.answerCallbackQuery(result.notify ? { text: ctx.t('rate.slow_down') } : undefined)
  else if (result.notify) await ctx.reply(ctx.t('rate.slow_down'))
}

const loadAccount: MiddlewareFn<BotContext> = async (ctx, next) => {
  ctx.account = await cachedAccountByTelegramId(ctx.deps.payload, ctx.deps.redis, ctx.from!.id)
  // Observability (O6): the account's activity time, written at most once a minute, beside the
  // update's handling rather than before it (it never throws).
  const touching = ctx.account ? touchLastSeen(ctx.deps.payload, ctx.deps.redis, ctx.account.id) : undefined
  if (ctx.account) {
    ctx.lang = ctx.account.language
    if (ctx.session.lang !== ctx.account.language) ctx.session.lang = ctx.account.language
  }
  try {
    await next()
  } finally {
    await touching
  }
}

/**
 * Expected refusals are explained; anything else is logged and answered with an apology. An
 * outage (database or Redis unavailable) is passed on instead: the webhook answers 5xx so Telegram
 * delivers the update again, and nothing the customer sent is lost behind an apology.
 */
async function onError(error: BotError<BotContext>) {
  if (isOutage(error.error)) throw error.error
  const ctx = error.ctx
  const known = describeKnownError(error.error, ctx.t)
  let text: string
  if (known !== null) {
    text = known
    ctx.log.info({ err: known }, 'request refused')
  } else {
    // Observability (O6): reported once (update id, account id), counted, and the customer is told
    // honestly: staff got a report only when error tracking is on; otherwise it was recorded.
    const ref = reportError(error.error, { tags: { update_id: ctx.update.update_id }, accountId: ctx.account?.id })
    markFailed()
    metrics().botErrors.inc({ type: Object.keys(ctx.update).find((key) => key !== 'update_id') ?? 'unknown' })
    ctx.log.error({ err: error.error, ref, account: ctx.account?.id }, 'update failed')
    text = ctx.t(errorTrackingOn() ? 'error.apology' : 'error.apology_recorded', { ref })
  }
  // A limit a purchase lifts carries the way to buy it (an alert cannot hold buttons).
  const keyboard = isLimitRefusal(error.error) ? upgradeKeyboard(ctx.lang) : undefined
  let shown = false
  if (ctx.callbackQuery && !keyboard && plain(text).length <= 200) {
    shown = await ctx
      .answerCallbackQuery({ text: plain(text), show_alert: true })
      .then(() => known !== null)
      .catch(() => false)
  }
  if (!shown) {
    await ctx.reply(text, { parse_mode: 'HTML', reply_markup: keyboard }).catch((replyError) => {
      ctx.log.warn({ err: replyError }, 'could not tell the user about the error')
    })
  }
}
