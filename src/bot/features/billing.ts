import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { balanceOf } from '../../billing/ledger'
import { grantMonthlyPlanCredits } from '../../billing/planCredits'
import {
  findOffer,
  formatPrice,
  isOnSale,
  offerName,
  offersOnSale,
  paymentOptions,
  shownPrices,
  type Offer,
  type PaymentOption,
} from '../../billing/offers'
import { startCheckout } from '../../billing/payments'
import { providerFor } from '../../billing/providers'
import { PaymentProviderError, type ProductRef, type ProviderName, type ReceiptContact } from '../../billing/providers/types'
import { checkStarsOrder, currentSubscription, setStarsRenewal, settleStarsPayment } from '../../billing/starsOrders'
import { isOneOffPeriod } from '../../billing/subscriptions' // BF2b
import { t, tr } from '../../i18n'
import { env } from '../../lib/env'
import { isOutage } from '../../lib/outage'
import { isValidTimeZone } from '../../lib/timezone'
import type { Account, Subscription } from '../../payload-types'
import { actingAs } from '../../projects/actingAs'
import { zoneLabel } from '../../scheduling/zones'
import { generationsUsedToday } from '../../usage/generations'
import { effectivePlan, planName } from '../../usage/limits'
import { spentToday } from '../../usage/spend'
import { cb, onButton } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { menuButton, startFlow, type FlowDef } from '../flows/engine'
import { addUpgradeButtons } from '../keyboards/upgrade'
import { say, show } from '../ui'

/**
 * Billing in the bot. `/plan` (and the menu's Plan button) shows the plan, when it renews, the
 * usage against each limit and the credit balance, with buttons to change the plan, buy credits
 * or manage the subscription. Buying picks a product, then a way to pay: Telegram Stars (an
 * invoice link; plans as a 30-day Stars subscription) or a card through YooKassa (RUB, after a
 * receipt contact for 54-FZ) or Stripe (USD/EUR). `/paysupport` and `/terms` are what Telegram
 * requires of bots that sell.
 *
 * Telegram's payment updates are handled by `payments`, outside the private-chat pipeline: a
 * `pre_checkout_query` has no chat, and a `successful_payment` must never be dropped by the rate
 * limit or the human check.
 */
export const billing = new Composer<BotContext>()

const KIND = { s: 'plan', k: 'pack' } as const
type KindCode = keyof typeof KIND
const kindCode = (kind: ProductRef['kind']): KindCode => (kind === 'plan' ? 's' : 'k')
const PROVIDER = { st: 'stars', yk: 'yookassa', sp: 'stripe' } as const satisfies Record<string, ProviderName>
type ProviderCode = keyof typeof PROVIDER
const providerCode = (name: ProviderName) => (Object.entries(PROVIDER).find(([, value]) => value === name)![0] as ProviderCode)

const Code = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
const Kind = z.enum(['s', 'k'])

/** The account as stored now (a payment or staff may have changed its plan a moment ago). */
async function freshAccount(ctx: BotContext): Promise<Account> {
  const account = accountOf(ctx)
  return ctx.deps.payload.findByID({ collection: 'accounts', id: account.id, depth: 0, ...actingAs(account) })
}

const zoneOf = (account: Pick<Account, 'timezone'>) => (account.timezone && isValidTimeZone(account.timezone) ? account.timezone : 'UTC')

/** An instant as the customer reads it: their zone, their language. */
export function localDateTime(value: Date | string, account: Pick<Account, 'timezone' | 'language'>): string {
  const zone = zoneOf(account)
  const text = new Intl.DateTimeFormat(account.language === 'en' ? 'en-GB' : 'ru-RU', {
    timeZone: zone,
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(value))
  return `${text}, ${zoneLabel(zone, account.language, new Date(value).getTime())}`
}

function renewalLine(ctx: BotContext, account: Account, subscription: Subscription | null): string {
  if (!subscription?.currentPeriodEnd) return ctx.t('billing.no_renewal')
  const date = localDateTime(subscription.currentPeriodEnd, account)
  if (subscription.status === 'past_due') return ctx.t('billing.past_due', { date })
  return ctx.t(renews(subscription) ? 'billing.renews' : 'billing.ends', { date })
}

/** Whether the subscription charges again by itself (a one-off YooKassa period never does, BF2b). */
const renews = (subscription: Subscription) => !subscription.cancelAtPeriodEnd && !isOneOffPeriod(subscription.providerSubscriptionId)

async function planScreen(ctx: BotContext, intro?: string) {
  const account = await freshAccount(ctx)
  const { payload } = ctx.deps
  const acting = actingAs(account)
  const [plan, subscription, projects, connections, generations, spent, balance] = await Promise.all([
    effectivePlan(payload, account),
    currentSubscription(payload, account),
    payload.count({ collection: 'projects', where: { account: { equals: account.id } }, ...acting }),
    payload.count({ collection: 'connections', where: { account: { equals: account.id } }, ...acting }),
    generationsUsedToday(account),
    spentToday(payload, account.id, zoneOf(account)),
    // This month's free-plan credits are granted when first needed: showing the balance is one.
    grantMonthlyPlanCredits(payload, account.id).then(() => balanceOf(payload, account.id)),
  ])
  const lines = [
    ctx.t('billing.plan_title', { plan: planName(plan, ctx.lang) }),
    renewalLine(ctx, account, subscription),
    '',
    ctx.t('billing.usage_title'),
    ctx.t('billing.usage_projects', { used: projects.totalDocs, limit: plan.limits.maxProjects }),
    ctx.t('billing.usage_connections', { used: connections.totalDocs, limit: plan.limits.maxConnections }),
    ctx.t('billing.usage_generations', { used: generations, limit: plan.limits.dailyGenerations }),
    ctx.t('billing.usage_spend', { spent: spent.toFixed(2), limit: plan.limits.dailySpendUsd.toFixed(2) }),
    '',
    ctx.t('billing.balance', { balance }),
  ]
  const keyboard = addUpgradeButtons(new InlineKeyboard(), ctx.lang)
  if (subscription) keyboard.text(ctx.t('billing.manage'), 'b:mg').row()
  keyboard.text(ctx.t('menu.open'), 'm:home')
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

function pricesText(account: Account, offer: Offer, language: string): string {
  return shownPrices(account, offer)
    .map((price) => formatPrice(price, language))
    .join(' · ')
}

async function catalogueScreen(ctx: BotContext, kind: ProductRef['kind']) {
  const account = await freshAccount(ctx)
  const offers = await offersOnSale(ctx.deps.payload, kind, account)
  const keyboard = new InlineKeyboard()
  if (offers.length === 0) {
    await show(ctx, ctx.t('billing.nothing_for_sale'), keyboard.text(ctx.t('back'), 'b:home'))
    return
  }
  const lines = [ctx.t(kind === 'plan' ? 'billing.plans_title' : 'billing.packs_title'), '']
  for (const offer of offers) {
    const name = offerName(offer, ctx.lang)
    const prices = pricesText(account, offer, ctx.lang)
    lines.push(kind === 'plan' ? ctx.t('billing.plan_line', { name, prices }) : ctx.t('billing.pack_line', { name, credits: offer.credits, prices }))
    const current = kind === 'plan' && offer.code === account.plan
    keyboard.text(current ? tr(ctx.lang, 'billing.plan_current', { name }) : name, cb('b:b', kindCode(kind), offer.code)).row()
  }
  keyboard.text(ctx.t('back'), 'b:home')
  await show(ctx, lines.join('\n'), keyboard)
}

function optionLabel(ctx: BotContext, option: PaymentOption): string {
  const price = formatPrice({ currency: option.currency, amount: option.amount }, ctx.lang)
  return ctx.t(`billing.pay_${option.provider}`, { price })
}

/** A product's ways to pay for this customer, one button each. */
async function methodsScreen(ctx: BotContext, product: ProductRef) {
  const account = await freshAccount(ctx)
  const offer = await findOffer(ctx.deps.payload, product)
  // AF1: a free plan (no price) is not for sale: its buttons lead back to the catalogue.
  if (!offer || !isOnSale(offer)) return catalogueScreen(ctx, product.kind)
  const back = product.kind === 'plan' ? 'b:pl' : 'b:pk'
  if (product.kind === 'plan') {
    // One renewing subscription at a time: a second one would charge the customer twice a month.
    const subscription = await currentSubscription(ctx.deps.payload, account)
    if (subscription && renews(subscription)) {
      const plan = await effectivePlan(ctx.deps.payload, { plan: subscription.planCode })
      const status = renewalLine(ctx, account, subscription)
      await show(ctx, ctx.t('billing.subscribed_already', { plan: planName(plan, ctx.lang), status }), new InlineKeyboard().text(ctx.t('billing.manage'), 'b:mg').row().text(ctx.t('back'), back))
      return
    }
  }
  const options = paymentOptions(account, offer)
  if (options.length === 0) {
    await show(ctx, ctx.t('billing.unavailable'), new InlineKeyboard().text(ctx.t('back'), back))
    return
  }
  const keyboard = new InlineKeyboard()
  for (const option of options) keyboard.text(optionLabel(ctx, option), cb('b:p', kindCode(product.kind), product.code, providerCode(option.provider))).row()
  keyboard.text(ctx.t('back'), back)
  await show(ctx, ctx.t('billing.choose_method', { product: offerName(offer, ctx.lang) }), keyboard)
}

/** The 54-FZ receipt contact: an email, or a phone in international format (digits only kept). */
export const ReceiptContactInput = z
  .string()
  .trim()
  .max(254)
  .refine((value) => z.email().safeParse(value).success || isPhone(value), 'receipt_contact')

function isPhone(value: string): boolean {
  const digits = value.replace(/\D/g, '').length
  return /^\+?[1-9][\d\s()-]{9,24}$/.test(value) && digits >= 10 && digits <= 15
}

function receiptOf(value: string): ReceiptContact {
  return value.includes('@') ? { email: value.toLowerCase() } : { phone: value.replace(/\D/g, '') }
}

function rememberedReceipt(account: Account): ReceiptContact | null {
  const saved = account.receiptContact
  if (saved?.email) return { email: saved.email }
  if (saved?.phone) return { phone: saved.phone }
  return null
}

/** Opens the payment at the provider and gives the customer the link (a URL button). */
async function checkout(ctx: BotContext, product: ProductRef, providerName: ProviderName, receipt?: ReceiptContact) {
  const account = await freshAccount(ctx)
  const offer = await findOffer(ctx.deps.payload, product)
  const option = offer && isOnSale(offer) ? paymentOptions(account, offer).find((o) => o.provider === providerName) : undefined
  if (!offer || !option) return methodsScreen(ctx, product)
  const name = offerName(offer, ctx.lang)
  const price = formatPrice({ currency: option.currency, amount: option.amount }, ctx.lang)
  let url: string
  try {
    ;({ url } = await startCheckout(ctx.deps.payload, {
      provider: providerName,
      accountId: account.id,
      product,
      amount: option.amount,
      currency: option.currency,
      credits: product.kind === 'pack' ? offer.credits : undefined,
      title: name,
      description: product.kind === 'pack' ? ctx.t('billing.invoice_pack', { credits: offer.credits }) : ctx.t('billing.invoice_plan', { name }),
      receipt,
    }))
  } catch (error) {
    if (!(error instanceof PaymentProviderError)) throw error
    ctx.log.warn({ err: error.message, provider: providerName, product }, 'checkout refused by the provider')
    await show(ctx, ctx.t('billing.unavailable'), new InlineKeyboard().text(ctx.t('back'), product.kind === 'plan' ? 'b:pl' : 'b:pk'))
    return
  }
  ctx.log.info({ provider: providerName, product }, 'checkout opened')
  const stars = providerName === 'stars'
  const text = stars && product.kind === 'plan' ? ctx.t('billing.subscribe_link', { name, price }) : ctx.t('billing.pay_link', { product: name, price })
  const keyboard = new InlineKeyboard().url(stars ? ctx.t('billing.pay_button_stars', { price }) : ctx.t('billing.pay_button'), url).row().text(ctx.t('back'), 'b:home')
  await say(ctx, text, keyboard)
}

/** YooKassa needs a receipt contact (54-FZ): asked once, remembered on the account. */
export const receiptFlow: FlowDef = {
  name: 'billing.receipt',
  steps: () => [{ key: 'contact', prompt: (ctx) => ctx.t('billing.receipt_ask'), schema: ReceiptContactInput }],
  finish: async (ctx, flow, value) => {
    const receipt = receiptOf(value)
    const account = accountOf(ctx)
    ctx.account = await ctx.deps.payload.update({
      collection: 'accounts',
      id: account.id,
      data: { receiptContact: { email: receipt.email ?? null, phone: receipt.phone ?? null } },
      depth: 0,
      ...actingAs(account),
    })
    await say(ctx, ctx.t('billing.receipt_saved', { contact: receipt.email ?? `+${receipt.phone}` }))
    await checkout(ctx, { kind: KIND[flow.data.kind as KindCode], code: flow.data.code }, 'yookassa', receipt)
  },
}

async function manageScreen(ctx: BotContext, intro?: string) {
  const account = await freshAccount(ctx)
  const subscription = await currentSubscription(ctx.deps.payload, account)
  const keyboard = new InlineKeyboard()
  if (!subscription) {
    await show(ctx, ctx.t('billing.no_subscription'), addUpgradeButtons(keyboard, ctx.lang).text(ctx.t('back'), 'b:home'))
    return
  }
  const plan = await effectivePlan(ctx.deps.payload, { plan: subscription.planCode })
  if (subscription.provider === 'stars') {
    keyboard.text(ctx.t(subscription.cancelAtPeriodEnd ? 'billing.resume' : 'billing.cancel'), cb('b:sc', subscription.cancelAtPeriodEnd ? 0 : 1)).row()
  } else if (subscription.provider === 'stripe') {
    const stripe = providerFor('stripe')
    const customer = await stripeCustomerOf(ctx, account)
    const url = stripe?.manageUrl && customer ? await stripe.manageUrl({ accountId: account.id, providerCustomerId: customer }).catch(portalUnavailable(ctx)) : null
    if (url) keyboard.url(ctx.t('billing.portal'), url).row()
  }
  keyboard.text(ctx.t('back'), 'b:home')
  const status = renewalLine(ctx, account, subscription)
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${ctx.t('billing.manage_title', { plan: planName(plan, ctx.lang), status })}`, keyboard)
}

/** Stripe could not open a portal session: the screen goes without the button (logged for staff). */
const portalUnavailable = (ctx: BotContext) => (error: unknown) => {
  if (!(error instanceof PaymentProviderError)) throw error
  ctx.log.warn({ err: error.message }, 'Stripe customer portal unavailable')
  return null
}

/** The Stripe customer of the account's latest Stripe payment (kept in the payment's metadata by the provider). */
async function stripeCustomerOf(ctx: BotContext, account: Account): Promise<string | null> {
  const { docs } = await ctx.deps.payload.find({
    collection: 'payments',
    where: { and: [{ account: { equals: account.id } }, { provider: { equals: 'stripe' } }] },
    sort: '-createdAt',
    limit: 5,
    depth: 0,
    ...actingAs(account),
  })
  for (const payment of docs) {
    const customer = (payment.metadata as Record<string, unknown> | null)?.customerId ?? (payment.metadata as Record<string, unknown> | null)?.customer
    if (typeof customer === 'string' && customer) return customer
  }
  return null
}

billing.command('plan', (ctx) => planScreen(ctx))
onButton(billing, 'b:home', z.tuple([]), (ctx) => planScreen(ctx))
onButton(billing, 'b:pl', z.tuple([]), (ctx) => catalogueScreen(ctx, 'plan'))
onButton(billing, 'b:pk', z.tuple([]), (ctx) => catalogueScreen(ctx, 'pack'))
onButton(billing, 'b:b', z.tuple([Kind, Code]), (ctx, [kind, code]) => methodsScreen(ctx, { kind: KIND[kind], code }))
onButton(billing, 'b:p', z.tuple([Kind, Code, z.enum(['st', 'yk', 'sp'])]), async (ctx, [kind, code, provider]) => {
  const product = { kind: KIND[kind], code }
  const name = PROVIDER[provider]
  if (name === 'yookassa') {
    const receipt = rememberedReceipt(await freshAccount(ctx))
    if (!receipt) return startFlow(ctx, receiptFlow, { data: { kind, code } })
    return checkout(ctx, product, name, receipt)
  }
  return checkout(ctx, product, name)
})
onButton(billing, 'b:mg', z.tuple([]), (ctx) => manageScreen(ctx))
onButton(billing, 'b:sc', z.tuple([z.enum(['0', '1'])]), async (ctx, [cancel]) => {
  const account = await freshAccount(ctx)
  const subscription = await setStarsRenewal(ctx.deps.payload, account, cancel === '1')
  if (!subscription) return manageScreen(ctx)
  ctx.log.info({ subscription: subscription.id, canceled: cancel === '1' }, 'Stars renewal changed')
  const plan = await effectivePlan(ctx.deps.payload, { plan: subscription.planCode })
  const date = subscription.currentPeriodEnd ? localDateTime(subscription.currentPeriodEnd, account) : ''
  await manageScreen(ctx, ctx.t(cancel === '1' ? 'billing.canceled' : 'billing.resumed', { plan: planName(plan, ctx.lang), date }))
})

billing.command('paysupport', (ctx) => {
  const contact = env().SUPPORT_CONTACT
  return say(ctx, ctx.t('billing.paysupport', { contact: contact ? ctx.t('billing.paysupport_contact', { contact }) : '' }), menuButton(ctx))
})
billing.command('terms', (ctx) => say(ctx, ctx.t('billing.terms'), menuButton(ctx)))

/**
 * Telegram's payment updates. `pre_checkout_query` is answered within Telegram's 10 s after the
 * order is checked again (it may have changed since the invoice was made); `successful_payment`
 * credits once per charge (`telegram_payment_charge_id`), then thanks the customer with what
 * they got. An outage is passed on (the webhook answers 5xx, Telegram delivers it again).
 */
export const payments = new Composer<BotContext>()

payments.on('pre_checkout_query', async (ctx) => {
  const query = ctx.preCheckoutQuery
  try {
    const verdict = await checkStarsOrder(ctx.deps.payload, {
      invoicePayload: query.invoice_payload,
      currency: query.currency,
      totalAmount: query.total_amount,
      telegramId: query.from.id,
    })
    if (verdict.ok) {
      await ctx.answerPreCheckoutQuery(true)
      ctx.log.info({ order: verdict.order.orderId }, 'pre-checkout approved')
      return
    }
    const language = verdict.account?.language ?? ctx.lang
    ctx.log.info({ reason: verdict.reason }, 'pre-checkout refused')
    // Telegram shows it as plain text.
    await ctx.answerPreCheckoutQuery(false, { error_message: t(language, `billing.pc_${verdict.reason}`) })
  } catch (error) {
    // Whatever failed, Telegram must not take the stars for an order we could not check.
    ctx.log.error({ err: error }, 'pre-checkout could not be checked: refused')
    await ctx.answerPreCheckoutQuery(false, { error_message: t(ctx.lang, 'billing.pc_invalid') }).catch(() => undefined)
    if (isOutage(error)) throw error
  }
})

payments.on('message:successful_payment', async (ctx) => {
  const paid = ctx.message.successful_payment
  if (paid.currency !== 'XTR') {
    ctx.log.error({ currency: paid.currency }, 'a successful_payment in another currency than Stars: not ours to credit')
    return
  }
  const settled = await settleStarsPayment(ctx.deps.payload, paid, ctx.from.id)
  const account = settled.account
  const language = account?.language ?? ctx.lang
  const html = (key: string, params?: Record<string, string | number>) => tr(language, key, params)
  if (settled.kind === 'unknown' || !account) {
    await ctx.reply(html('billing.paysupport', { contact: '' }), { parse_mode: 'HTML' })
    return
  }
  if (!settled.applied) {
    if (settled.notCredited === 'duplicate') {
      ctx.log.info({ charge: paid.telegram_payment_charge_id }, 'successful_payment already processed')
      return
    }
    // The stars were taken but nothing was credited (price mismatch, order unknown or paid twice):
    // the customer is told where to get help, staff see an error.
    ctx.log.error({ charge: paid.telegram_payment_charge_id, reason: settled.notCredited, account: account.id }, 'a Stars payment was taken but not credited: refund or credit by hand')
    await ctx.reply(html('billing.paysupport', { contact: '' }), { parse_mode: 'HTML' })
    return
  }
  ctx.log.info({ charge: paid.telegram_payment_charge_id, kind: settled.kind, credits: settled.credits }, 'Stars payment credited')
  let text: string
  if (settled.kind === 'pack') text = html('billing.thanks_pack', { credits: settled.credits, balance: settled.balance })
  else {
    const plan = await effectivePlan(ctx.deps.payload, { plan: settled.planCode ?? '' })
    const date = settled.periodEnd ? localDateTime(settled.periodEnd, account) : ''
    text = html(settled.kind === 'renewal' ? 'billing.thanks_renewal' : 'billing.thanks_plan', { plan: planName(plan, language), date })
  }
  await ctx.reply(text, { parse_mode: 'HTML', reply_markup: new InlineKeyboard().text(tr(language, 'menu.plan'), 'b:home') })
})
