import type { Payload } from 'payload'

import { t } from '../i18n'
import { logger } from '../lib/logger'
import { chatApi } from '../telegram/client'

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
  const bot = chatApi()
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
