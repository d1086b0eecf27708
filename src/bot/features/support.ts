import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

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

support.on('message:text', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow || ctx.message.text.startsWith('/')) return next()
  await writeToSupport(ctx.deps.payload, accountOf(ctx), { text: ctx.message.text })
  await say(ctx, ctx.t('support.received'), leaveKeyboard(ctx))
})

support.on('message:photo', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow) return next()
  const largest = ctx.message.photo.at(-1)!
  await writeToSupport(ctx.deps.payload, accountOf(ctx), { text: ctx.message.caption, photoFileId: largest.file_id })
  await say(ctx, ctx.t('support.received'), leaveKeyboard(ctx))
})

support.on('message', async (ctx, next) => {
  if (!ctx.session.support || ctx.session.flow) return next()
  await say(ctx, ctx.t('support.text_or_photo'), leaveKeyboard(ctx))
})
