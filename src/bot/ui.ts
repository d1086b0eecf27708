import { GrammyError, InlineKeyboard } from 'grammy'

import type { BotContext } from './context'

export const TELEGRAM_TEXT_LIMIT = 4096

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}

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

/**
 * A message longer than Telegram's 4,096 characters, cut into parts at paragraph boundaries
 * (then lines, then words; a single unbroken run is cut hard).
 */
export function splitMessage(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const parts: string[] = []
  let rest = text.trim()
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1)
    let cut = window.lastIndexOf('\n\n')
    if (cut < limit / 2) cut = window.lastIndexOf('\n')
    if (cut < limit / 2) cut = window.lastIndexOf(' ')
    if (cut <= 0) cut = limit
    parts.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).trimStart()
  }
  if (rest.length > 0) parts.push(rest)
  return parts
}
