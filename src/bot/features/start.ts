import { randomInt } from 'node:crypto'

import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { ensureTelegramAccount, markVerifiedHuman } from '../accounts'
import { onButton } from '../callbacks'
import type { BotContext, CaptchaState } from '../context'
import { languageFromTelegram } from '../../i18n'
import { say, show } from '../ui'
import { showMenu } from './menu'
import { showProjectCard } from './projects'

const EMOJI: Array<[string, string]> = [
  ['🍎', 'apple'],
  ['🚗', 'car'],
  ['🐶', 'dog'],
  ['🌵', 'cactus'],
  ['⚽', 'ball'],
  ['🎸', 'guitar'],
  ['🚀', 'rocket'],
  ['🍕', 'pizza'],
  ['🐟', 'fish'],
  ['🌙', 'moon'],
  ['🔑', 'key'],
  ['☂️', 'umbrella'],
]
const OPTIONS = 6
export const CAPTCHA_ATTEMPTS = 3
const LOCK_SECONDS = 10 * 60

/** A deep link payload: t.me/<bot>?start=p<id> opens that project. */
const StartPayload = z.union([z.literal(''), z.string().regex(/^p\d{1,10}$/)])

function newCaptcha(attempts = 0): CaptchaState {
  const pool = [...EMOJI]
  const options: string[] = []
  for (let i = 0; i < OPTIONS; i++) options.push(pool.splice(randomInt(pool.length), 1)[0][1])
  return { options, answer: randomInt(OPTIONS), attempts }
}

async function askCaptcha(ctx: BotContext, captcha: CaptchaState, intro = '') {
  const keyboard = new InlineKeyboard()
  captcha.options.forEach((name, index) => {
    keyboard.text(EMOJI.find(([, n]) => n === name)![0], `cap:${index}`)
    if (index % 3 === 2) keyboard.row()
  })
  const target = ctx.t(`emoji.${captcha.options[captcha.answer]}`)
  await show(ctx, `${intro}${ctx.t('captcha.ask', { target })}`, keyboard)
}

const lockKey = (ctx: BotContext) => `${ctx.deps.keyPrefix}captcha:lock:${ctx.from!.id}`

/** Shows the pending human check (or a new one), unless the user is locked out for a while. */
export async function requireCaptcha(ctx: BotContext) {
  const ttl = await ctx.deps.redis.ttl(lockKey(ctx))
  if (ttl > 0) {
    await say(ctx, ctx.t('captcha.locked', { minutes: Math.ceil(ttl / 60) }))
    return
  }
  ctx.session.captcha ??= newCaptcha()
  await askCaptcha(ctx, ctx.session.captcha)
}

/**
 * /start and the human check. /start creates the account once per Telegram user; a new account
 * answers a pick-the-emoji question (a few attempts, then a pause) before anything else.
 */
export const start = new Composer<BotContext>()

start.command('start', async (ctx) => {
  const payload = StartPayload.safeParse(ctx.match.trim())
  // The account middleware has usually found it already (from the cache): no second read.
  const { account, created } = ctx.account
    ? { account: ctx.account, created: false }
    : await ensureTelegramAccount(ctx.deps.payload, {
        telegramId: ctx.from!.id,
        username: ctx.from!.username,
        displayName: [ctx.from!.first_name, ctx.from!.last_name].filter(Boolean).join(' '),
        language: ctx.session.lang ?? languageFromTelegram(ctx.from!.language_code),
      })
  ctx.account = account
  ctx.lang = account.language
  ctx.session.lang = account.language
  ctx.log.info({ account: account.id, created }, 'start')
  if (account.status === 'blocked') return say(ctx, ctx.t('account.blocked'))
  if (!account.verifiedHumanAt) {
    await say(ctx, ctx.t(created ? 'start.welcome_new' : 'start.welcome_back'))
    return requireCaptcha(ctx)
  }
  if (payload.success && payload.data.startsWith('p'))
    return showProjectCard(ctx, Number(payload.data.slice(1)))
  await showMenu(ctx, ctx.t('start.welcome_back'))
})

onButton(
  start,
  'cap',
  z.tuple([
    z.coerce
      .number()
      .int()
      .min(0)
      .max(OPTIONS - 1),
  ]),
  async (ctx, [index]) => {
    const account = ctx.account
    if (!account) return ctx.answerCallbackQuery({ text: ctx.t('gate.start'), show_alert: true })
    if (account.verifiedHumanAt) {
      await ctx.answerCallbackQuery()
      return showMenu(ctx)
    }
    const captcha = ctx.session.captcha
    if (!captcha || (await ctx.deps.redis.ttl(lockKey(ctx))) > 0) {
      await ctx.answerCallbackQuery()
      return requireCaptcha(ctx)
    }
    if (index === captcha.answer) {
      ctx.account = await markVerifiedHuman(ctx.deps.payload, account)
      ctx.session.captcha = undefined
      await ctx.answerCallbackQuery({ text: ctx.t('captcha.ok') })
      return showMenu(ctx, ctx.t('captcha.passed'))
    }
    const attempts = captcha.attempts + 1
    if (attempts >= CAPTCHA_ATTEMPTS) {
      ctx.session.captcha = undefined
      await ctx.deps.redis.set(lockKey(ctx), '1', 'EX', LOCK_SECONDS)
      await ctx.answerCallbackQuery()
      return show(ctx, ctx.t('captcha.locked', { minutes: LOCK_SECONDS / 60 }))
    }
    ctx.session.captcha = newCaptcha(attempts)
    await ctx.answerCallbackQuery({ text: ctx.t('captcha.wrong') })
    await askCaptcha(
      ctx,
      ctx.session.captcha,
      `${ctx.t('captcha.retry', { left: CAPTCHA_ATTEMPTS - attempts })}\n\n`,
    )
  },
)

/** Everything after this needs an active account that passed the human check. */
export const gate = new Composer<BotContext>()

gate.use(async (ctx, next) => {
  const account = ctx.account
  if (account?.status === 'blocked') {
    if (ctx.callbackQuery)
      await ctx.answerCallbackQuery({ text: ctx.t('account.blocked'), show_alert: true })
    else await say(ctx, ctx.t('account.blocked'))
    return
  }
  if (account?.verifiedHumanAt) return next()
  if (!account) {
    if (ctx.callbackQuery)
      await ctx.answerCallbackQuery({ text: ctx.t('gate.start'), show_alert: true })
    else await say(ctx, ctx.t('gate.start'))
    return
  }
  if (ctx.callbackQuery) await ctx.answerCallbackQuery()
  await requireCaptcha(ctx)
})
