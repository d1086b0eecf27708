import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { type Language, LANGUAGES, tr } from '../../i18n'
import { setAccountLanguage } from '../accounts'
import { onButton } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { leaveFlow, menuButton } from '../flows/engine'
import { say, show } from '../ui'

export function menuKeyboard(ctx: BotContext) {
  return new InlineKeyboard()
    .text(ctx.t('menu.projects'), 'p:list:1')
    .text(ctx.t('menu.new_project'), 'p:new')
    .row()
    .text(ctx.t('menu.plan'), 'b:home')
    .row()
    .text(ctx.t('menu.language'), 'm:lang')
    .text(ctx.t('menu.help'), 'm:help')
    .row()
    .text(ctx.t('menu.support'), 'sp:open')
    .text(ctx.t('menu.my_data'), 'pd:home')
}

export async function showMenu(ctx: BotContext, intro?: string) {
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${ctx.t('menu.title')}`, menuKeyboard(ctx))
}

async function showLanguages(ctx: BotContext) {
  const keyboard = new InlineKeyboard()
  for (const language of LANGUAGES) keyboard.text(tr(language, 'language.name'), `m:sl:${language}`)
  await show(ctx, ctx.t('language.choose'), keyboard.row().text(ctx.t('back'), 'm:home'))
}

/** Main menu, help, language and /cancel: what every verified user can reach at any time. */
export const menu = new Composer<BotContext>()

menu.command('menu', (ctx) => showMenu(ctx))
menu.command('help', (ctx) => say(ctx, ctx.t('help.text'), menuButton(ctx)))
menu.command('language', showLanguages)
menu.command('cancel', async (ctx) => {
  const left = leaveFlow(ctx)
  await say(ctx, ctx.t(left ? 'cancel.done' : 'cancel.nothing'), menuButton(ctx))
})

onButton(menu, 'm:home', z.tuple([]), (ctx) => showMenu(ctx))
onButton(menu, 'm:help', z.tuple([]), (ctx) => show(ctx, ctx.t('help.text'), menuButton(ctx)))
onButton(menu, 'm:lang', z.tuple([]), showLanguages)
onButton(menu, 'm:sl', z.tuple([z.enum(LANGUAGES)]), async (ctx, [language]) => {
  await switchLanguage(ctx, language)
  await showMenu(ctx, ctx.t('language.set'))
})

export async function switchLanguage(ctx: BotContext, language: Language) {
  ctx.account = await setAccountLanguage(ctx.deps.payload, accountOf(ctx), language)
  ctx.session.lang = language
  ctx.lang = language
}
