import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { AppError } from '../../http/errors'
import { writeToSupport } from '../../support/messages'
import { onButton } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { leaveFlow } from '../flows/engine'
import { say } from '../ui'

const leaveKeyboard = (ctx: BotContext) => new InlineKeyboard().text(ctx.t('support.leave'), 'sp:x')

/** Opens support mode: what the customer writes next (text, photos) goes to the staff inbox. */
export async function openSupport(ctx: BotContext) {
  leaveFlow(ctx)
  ctx.session.support = true
  await say(ctx, ctx.t('support.intro'), leaveKeyboard(ctx))
}

async function closeSupport(ctx: BotContext) {
  ctx.session.support = undefined
  await say(ctx, ctx.t('support.left'), new InlineKeyboard().text(ctx.t('menu.open'), 'm:home'))
}

/**
 * /support (and the menu's button): a conversation with staff. In support mode every message
 * the customer sends (text, or a photo with its caption) lands in the admin inbox; replies come
 * back as notices ("support.reply"). Commands still work; /cancel or the button leaves.
 * A conversation (flow) started later takes its answers first.
 */
export const support = new Composer<BotContext>()

support.command('support', openSupport)
onButton(support, 'sp:open', z.tuple([]), openSupport)
onButton(support, 'sp:x', z.tuple([]), closeSupport)

support.command('cancel', async (ctx, next) => {
  if (!ctx.session.support) return next()
  leaveFlow(ctx)
  await closeSupport(ctx)
})

/**
 * Writes to the inbox; past the per-account limit (src/support/rateLimit.ts) the customer is told
 * once per window and further messages are dropped without another notice.
 */
async function deliver(ctx: BotContext, message: Parameters<typeof writeToSupport>[2]) {
  try {
    await writeToSupport(ctx.deps.payload, accountOf(ctx), message)
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'support.rate_limited') throw error
    if (error.data?.firstRefusal) await say(ctx, error.message, leaveKeyboard(ctx))
    return
  }
  await say(ctx, ctx.t('support.received'), leaveKeyboard(ctx))
}

support.on('message:text', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow || ctx.message.text.startsWith('/')) return next()
  await deliver(ctx, { text: ctx.message.text })
})

support.on('message:photo', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow) return next()
  const largest = ctx.message.photo.at(-1)!
  await deliver(ctx, { text: ctx.message.caption, photoFileId: largest.file_id })
})

support.on('message', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow) return next()
  await say(ctx, ctx.t('support.text_or_photo'), leaveKeyboard(ctx))
})
