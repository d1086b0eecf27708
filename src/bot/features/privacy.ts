import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { UNSUBSCRIBE_DATA } from '../../broadcasts/send'
import { clearBotBlocked, setAnnouncements } from '../../broadcasts/preferences'
import { addJob } from '../../jobs/addJob'
import { deleteAccount, SubscriptionNotEndedError } from '../../privacy/delete'
import { onButton } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { leaveFlow, startFlow, type FlowDef } from '../flows/engine'
import { say, show } from '../ui'

/** The words that confirm a deletion, typed by the customer (either language's word works). */
export const DELETE_WORDS = ['УДАЛИТЬ', 'DELETE']

async function showMyData(ctx: BotContext) {
  const account = accountOf(ctx)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('privacy.export'), 'pd:exp')
    .row()
    .text(ctx.t(account.announcementsOff ? 'privacy.announcements_on' : 'privacy.announcements_off'), 'pd:ann')
    .row()
    .text(ctx.t('privacy.delete'), 'pd:del')
    .row()
    .text(ctx.t('back'), 'm:home')
  const state = ctx.t(account.announcementsOff ? 'privacy.announcements_state_off' : 'privacy.announcements_state_on')
  await show(ctx, ctx.t('privacy.title', { announcements: state }), keyboard)
}

/** The last step of a deletion: the customer types the word. */
export const deleteAccountFlow: FlowDef = {
  name: 'privacyDelete',
  steps: () => [
    {
      key: 'word',
      prompt: (ctx) => ctx.t('privacy.delete_type'),
      schema: z
        .string()
        .trim()
        .refine((value) => DELETE_WORDS.includes(value.toUpperCase()), { message: 'delete_word' }),
    },
  ],
  finish: async (ctx) => {
    const account = accountOf(ctx)
    let result
    try {
      result = await deleteAccount(ctx.deps.payload, account, { requestedBy: 'customer' })
    } catch (error) {
      if (!(error instanceof SubscriptionNotEndedError)) throw error
      // A subscription still renewing must not charge a deleted account: nothing was deleted.
      ctx.session.flow = undefined
      await say(ctx, ctx.t('privacy.delete_subscription_failed'))
      return
    }
    ctx.log.info({ account: account.id, tombstone: result.tombstone }, 'account deleted by the customer')
    ctx.session.flow = undefined
    ctx.session.support = undefined
    ctx.session.captcha = undefined
    ctx.account = null
    await say(ctx, ctx.t('privacy.deleted'))
  },
}

/**
 * "My data": export everything as a JSON file (a job sends it), announcements on/off, and account
 * deletion (a warning, "Continue", then the typed word). Also the Unsubscribe button under every
 * announcement, and un-marking a customer who had blocked the bot once they write again.
 */
export const privacy = new Composer<BotContext>()

privacy.use(async (ctx, next) => {
  if (ctx.account?.botBlockedAt) ctx.account = await clearBotBlocked(ctx.deps.payload, ctx.account)
  await next()
})

privacy.command('mydata', showMyData)
onButton(privacy, 'pd:home', z.tuple([]), showMyData)

onButton(privacy, 'pd:exp', z.tuple([]), async (ctx) => {
  await addJob('privacy.export', { accountId: accountOf(ctx).id })
  await ctx.answerCallbackQuery({ text: ctx.t('privacy.export_queued') })
  await say(ctx, ctx.t('privacy.export_queued'))
})

onButton(privacy, 'pd:ann', z.tuple([]), async (ctx) => {
  const account = accountOf(ctx)
  ctx.account = await setAnnouncements(ctx.deps.payload, account, Boolean(account.announcementsOff))
  await ctx.answerCallbackQuery({ text: ctx.t(ctx.account.announcementsOff ? 'broadcast.unsubscribed' : 'broadcast.subscribed') })
  await showMyData(ctx)
})

onButton(privacy, 'pd:del', z.tuple([]), async (ctx) => {
  const keyboard = new InlineKeyboard().text(ctx.t('privacy.delete_continue'), 'pd:del2').row().text(ctx.t('privacy.delete_cancel'), 'pd:home')
  await show(ctx, ctx.t('privacy.delete_warning'), keyboard)
})

onButton(privacy, 'pd:del2', z.tuple([]), async (ctx) => {
  leaveFlow(ctx)
  ctx.session.support = undefined
  await startFlow(ctx, deleteAccountFlow)
})

onButton(privacy, UNSUBSCRIBE_DATA, z.tuple([]), async (ctx) => {
  ctx.account = await setAnnouncements(ctx.deps.payload, accountOf(ctx), false)
  await ctx.answerCallbackQuery({ text: ctx.t('broadcast.unsubscribed') })
  await say(ctx, ctx.t('broadcast.unsubscribed_long'), new InlineKeyboard().text(ctx.t('broadcast.resubscribe'), 'bc:on'))
})

onButton(privacy, 'bc:on', z.tuple([]), async (ctx) => {
  ctx.account = await setAnnouncements(ctx.deps.payload, accountOf(ctx), true)
  await ctx.answerCallbackQuery({ text: ctx.t('broadcast.subscribed') })
})
