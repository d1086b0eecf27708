import { GrammyError, InlineKeyboard } from 'grammy'

import type { BotContext } from './context'

/** HTML escaping and label truncation have one home (lib/text); the bot's screens call them by these names. */
export { escapeHtml as esc, truncate } from '../lib/text'

const OPTIONS = { parse_mode: 'HTML' as const, link_preview_options: { is_disabled: true } }

/**
 * Shows a screen: from a button it edits the message the button is on (pagination and cards
 * stay one message), otherwise it sends a new message.
 */
export async function show(
  ctx: BotContext,
  text: string,
  keyboard?: InlineKeyboard,
): Promise<void> {
  if (ctx.callbackQuery?.message) {
    try {
      await ctx.editMessageText(text, { ...OPTIONS, reply_markup: keyboard })
      return
    } catch (error) {
      if (error instanceof GrammyError && error.description.includes('message is not modified'))
        return
      if (!(error instanceof GrammyError && error.error_code === 400)) throw error
    }
  }
  await ctx.reply(text, { ...OPTIONS, reply_markup: keyboard })
}

export async function say(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
  await ctx.reply(text, { ...OPTIONS, reply_markup: keyboard })
}

/** ◀ 2/7 ▶ under a list; the middle button reloads the page (nothing on screen is a dead button). */
export function addPager(
  keyboard: InlineKeyboard,
  page: number,
  totalPages: number,
  data: (page: number) => string,
) {
  if (totalPages <= 1) return keyboard
  if (page > 1) keyboard.text('◀', data(page - 1))
  keyboard.text(`${page}/${totalPages}`, data(page))
  if (page < totalPages) keyboard.text('▶', data(page + 1))
  return keyboard.row()
}
