import { Api } from 'grammy'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { redis } from '../lib/redis'
import { consoleStore } from './console/store'
import { CONSOLE_BOT_INFO, consoleTransport } from './console/transport'
import { outgoingLimits, sendBudgetPrefix, telegramLimits } from './outgoing'

/**
 * The one place a grammY `Api` is built. Every client is paced with the bot's own send budget
 * (same Redis keys per token), so the webhook, polling and the worker together keep Telegram's
 * limits. Redis is reached only when a call is paced, so a command-line tool that never sends a
 * message (setting the webhook) opens no connection.
 */
export function createApi(
  token: string,
  { timeoutSeconds, retryOn429 = true }: { timeoutSeconds?: number; retryOn429?: boolean } = {},
): Api {
  const api = new Api(token, { apiRoot: env().TELEGRAM_API_ROOT, ...(timeoutSeconds ? { timeoutSeconds } : {}) })
  api.config.use(
    outgoingLimits(redis, {
      keyPrefix: sendBudgetPrefix(token),
      // A caller with its own retry schedule (a publication job) hears a 429 at once.
      limits: retryOn429 ? telegramLimits() : { ...telegramLimits(), retries: 0 },
      log: logger(),
    }),
  )
  return api
}

let chat: Api | undefined

/**
 * The one way server code reaches a customer's chat (messages, edits, streamed drafts): Telegram's
 * Bot API with the admin bot console's transport in front, so messages for a console chat (a
 * staff member's test customer) land in the console and everything else goes to Telegram. Always
 * a client: without a token only console chats can be reached, and calls for real chats are
 * refused by the transport with a Telegram-shaped error.
 */
export function chatApi(): Api {
  if (chat) return chat
  const { TELEGRAM_BOT_TOKEN } = env()
  chat = createApi(TELEGRAM_BOT_TOKEN ?? '0:console')
  chat.config.use(consoleTransport(consoleStore(), { telegram: Boolean(TELEGRAM_BOT_TOKEN), botInfo: CONSOLE_BOT_INFO }))
  return chat
}

/**
 * The Bot API for channels and groups (publishing, checking a connection, resolving a channel's
 * id), or null when no bot token is configured. A 429 is returned to the caller, whose job is
 * retried later by the queue.
 */
export function channelApi({ timeoutSeconds }: { timeoutSeconds?: number } = {}): Api | null {
  const { TELEGRAM_BOT_TOKEN } = env()
  return TELEGRAM_BOT_TOKEN ? createApi(TELEGRAM_BOT_TOKEN, { timeoutSeconds, retryOn429: false }) : null
}

/** Forget the cached client (tests that point the bot at another fake server). */
export function resetTelegramClient() {
  chat = undefined
}
