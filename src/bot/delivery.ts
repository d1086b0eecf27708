import { BotError, type Bot } from 'grammy'
import type { Update } from 'grammy/types'

import { logger } from '../lib/logger'
import { isOutage } from '../lib/outage'
import type { BotContext } from './context'

/** Waits between attempts while the database or Redis is away: quick at first, then calmer. */
const RETRY_DELAYS_MS = [500, 1_000, 2_000, 5_000]

/**
 * Long polling's counterpart of the webhook's 503: once fetched, an update is confirmed to
 * Telegram and would be lost if an outage failed it, so it is handled again until the database
 * and Redis are back. Updates of the same chat wait behind it (sequentialize), so order holds.
 * Any other failure was already answered inside the bot; it is logged and the update dropped.
 */
export async function handleUntilDelivered(bot: Bot<BotContext>, update: Update): Promise<void> {
  const log = logger().child({ process: 'bot', update_id: update.update_id })
  for (let attempt = 0; ; attempt++) {
    try {
      await bot.handleUpdate(update)
      return
    } catch (thrown) {
      const error = unwrapBotError(thrown)
      if (!isOutage(error)) {
        log.error({ err: error }, 'update failed')
        return
      }
      if (attempt === 0) log.warn({ err: error }, 'update waits: database or Redis unavailable')
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** grammY wraps what a middleware threw with the context (and the token): keep only the cause. */
export const unwrapBotError = (thrown: unknown) => (thrown instanceof BotError ? thrown.error : thrown)
