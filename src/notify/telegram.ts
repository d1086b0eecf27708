import { Api } from 'grammy'
import type { Payload } from 'payload'

import { ConsoleStore } from '../bot/console/store'
import { CONSOLE_BOT_INFO, consoleTransport } from '../bot/console/transport'
import { outgoingLimits, sendBudgetPrefix } from '../bot/outgoing'
import { t } from '../i18n'
import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { redis } from '../lib/redis'

let api: Api | undefined

/**
 * Telegram's Bot API with the admin bot console's transport in front: messages for a console
 * chat (a staff member's test customer) land in the console, everything else goes to Telegram.
 * Without a token only console chats can be reached; calls for real chats are refused.
 */
function botApi(): Api {
  if (api) return api
  const { TELEGRAM_BOT_TOKEN, TELEGRAM_API_ROOT } = env()
  api = new Api(TELEGRAM_BOT_TOKEN ?? '0:console', { apiRoot: TELEGRAM_API_ROOT })
  // Paced with the bot's own budget (same Redis keys), so worker and bot together keep the limits.
  api.config.use(outgoingLimits(redis(), { keyPrefix: sendBudgetPrefix(TELEGRAM_BOT_TOKEN ?? '0:console'), log: logger() }))
  api.config.use(
    consoleTransport(new ConsoleStore(redis()), {
      telegram: Boolean(TELEGRAM_BOT_TOKEN),
      botInfo: CONSOLE_BOT_INFO,
    }),
  )
  return api
}

/**
 * The one way server code reaches a customer's chat (messages, edits, streamed drafts): the
 * grammY Api, or null when no bot token is configured. Never build another client elsewhere.
 */
export function chatApi(): Api | null {
  return botApi()
}

/** Forget the cached client (tests that point the bot at another fake server). */
export function resetNotifier() {
  api = undefined
}

/**
 * Tells a customer, in their language, about something that needs them. Best effort: a
 * notification that cannot be delivered is logged, never allowed to fail the job that sent it.
 */
/** A button that opens something in the bot (its callback data) or a page (a URL, e.g. the post). */
export type NoticeButton = { key: string; data: string } | { key: string; url: string }

/** Bot buttons (one per row) with their labels in the customer's language, or none. */
export function noticeKeyboard(language: string, buttons: NoticeButton[]) {
  return buttons.length > 0
    ? {
        inline_keyboard: buttons.map((b) => [
          'url' in b ? { text: t(language, b.key), url: b.url } : { text: t(language, b.key), callback_data: b.data },
        ]),
      }
    : undefined
}

export async function notifyAccount(
  payload: Payload,
  accountId: number,
  key: string,
  params: Record<string, string | number> = {},
  { buttons = [] }: { buttons?: NoticeButton[] } = {},
): Promise<boolean> {
  const bot = botApi()
  try {
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true })
    if (account.status === 'blocked') return false
    // Buttons carry the bot's own callback data, so pressing one opens the fix in the bot.
    const reply_markup = noticeKeyboard(account.language, buttons)
    await bot.sendMessage(account.telegramId, t(account.language, key, params), {
      link_preview_options: { is_disabled: true },
      reply_markup,
    })
    return true
  } catch (error) {
    logger().warn({ accountId, key, err: error instanceof Error ? error.message : String(error) }, 'notification not delivered')
    return false
  }
}
