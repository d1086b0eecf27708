import { Api } from 'grammy'
import type { Payload } from 'payload'

import { t } from '../i18n'
import { env } from '../lib/env'
import { logger } from '../lib/logger'

let api: Api | undefined

function botApi(): Api | null {
  const { TELEGRAM_BOT_TOKEN, TELEGRAM_API_ROOT } = env()
  if (!TELEGRAM_BOT_TOKEN) return null
  api ??= new Api(TELEGRAM_BOT_TOKEN, { apiRoot: TELEGRAM_API_ROOT })
  return api
}

/** Forget the cached client (tests that point the bot at another fake server). */
export function resetNotifier() {
  api = undefined
}

/**
 * Tells a customer, in their language, about something that needs them. Best effort: a
 * notification that cannot be delivered is logged, never allowed to fail the job that sent it.
 */
export async function notifyAccount(
  payload: Payload,
  accountId: number,
  key: string,
  params: Record<string, string | number> = {},
): Promise<boolean> {
  const bot = botApi()
  if (!bot) return false
  try {
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true })
    if (account.status === 'blocked') return false
    await bot.sendMessage(account.telegramId, t(account.language, key, params), { link_preview_options: { is_disabled: true } })
    return true
  } catch (error) {
    logger().warn({ accountId, key, err: error instanceof Error ? error.message : String(error) }, 'notification not delivered')
    return false
  }
}
