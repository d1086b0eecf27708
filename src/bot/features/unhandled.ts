import { Composer } from 'grammy'

import type { BotContext } from '../context'
import { menuButton } from '../flows/engine'
import { say } from '../ui'

/** Last in the chain: anything no feature took gets a helpful answer, never silence. */
export const unhandled = new Composer<BotContext>()

unhandled.on('callback_query', (ctx) =>
  ctx.answerCallbackQuery({ text: ctx.t('cb.invalid'), show_alert: true }),
)
unhandled.on('message:text', async (ctx) => {
  const key = ctx.message.text.startsWith('/') ? 'unknown.command' : 'unknown.text'
  await say(ctx, ctx.t(key), menuButton(ctx))
})
unhandled.on('message', (ctx) => say(ctx, ctx.t('unknown.message'), menuButton(ctx)))
