import type { Composer } from 'grammy'
import { z } from 'zod'

import { TELEGRAM_TEXT_LIMITS } from '../telegram/limits'
import type { BotContext } from './context'

/** Callback data is `<route>:<arg>:<arg>`: a short route name and short ids, never state. */
export const MAX_CALLBACK_BYTES = TELEGRAM_TEXT_LIMITS.callbackDataBytes

export const Id = z.coerce.number().int().positive().max(2_147_483_647)
export const Page = z.coerce.number().int().min(1).max(10_000)

export function cb(route: string, ...args: Array<string | number>): string {
  const data = [route, ...args].join(':')
  if (Buffer.byteLength(data) > MAX_CALLBACK_BYTES)
    throw new Error(`callback data over ${MAX_CALLBACK_BYTES} bytes: ${data}`)
  return data
}

/**
 * Registers a button handler whose arguments are validated with zod first: data that does not
 * parse (stale, forged or garbage) is answered with a clear alert and reaches no handler.
 */
export function onButton<A extends z.ZodTuple>(
  composer: Composer<BotContext>,
  route: string,
  args: A,
  handler: (ctx: BotContext, args: z.infer<A>) => Promise<unknown>,
) {
  const pattern = new RegExp(`^${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?::|$)`)
  composer.callbackQuery(pattern, async (ctx) => {
    const raw = ctx.callbackQuery.data.slice(route.length + 1)
    const parsed = args.safeParse(raw === '' ? [] : raw.split(':'))
    if (!parsed.success) {
      ctx.log.warn({ data: ctx.callbackQuery.data }, 'callback data refused')
      await ctx.answerCallbackQuery({ text: ctx.t('cb.invalid'), show_alert: true })
      return
    }
    await handler(ctx, parsed.data)
  })
}
