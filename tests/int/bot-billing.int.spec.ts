import { randomBytes } from 'node:crypto'

import type { Update, User } from 'grammy/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { balanceOf } from '../../src/billing/ledger'
import { resetProviders } from '../../src/billing/providers'
import { stripeClient } from '../../src/billing/providers/stripe'
import { refundPayment } from '../../src/billing/refunds'
import { settlePayment } from '../../src/billing/payments'
import { COMMANDS, ALLOWED_UPDATES } from '../../src/bot/commands'
import { localDateTime } from '../../src/bot/features/billing'
import { t, tr } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import type { Account } from '../../src/payload-types'
import { resetTelegramClient } from '../../src/telegram/client'
import type { FakeInvoice } from '../fakes/telegramPayments'
import { startFakeStripe } from '../fakes/stripe'
import { startFakeYooKassa } from '../fakes/yookassa'
import { nextUpdateId, startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'

let h: Harness
const savedEnv = { ...process.env }
const tag = randomBytes(3).toString('hex')
const PACK = `b3-pack-${tag}`
const PLAN = `b3-plan-${tag}`
const TINY = `b3-tiny-${tag}`

beforeAll(async () => {
  h = await startHarness('billing')
  // Stars sell wherever the bot has a token once billing is on (BILLING_ENABLED, or a card
  // provider's keys: a bot token alone never turns billing on, see src/billing/providers/index.ts);
  // the provider talks to the same fake Bot API.
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.url, SUPPORT_CONTACT: 'billing@postforge.test', BILLING_ENABLED: 'true' })
  reloadEnv()
  resetTelegramClient()
  resetProviders()
  await h.payload.create({
    collection: 'credit-packs',
    overrideAccess: true,
    data: { code: PACK, name: { ru: 'Пакет 700', en: 'Pack 700' }, credits: 700, active: true, sortOrder: 1, prices: [{ currency: 'XTR', amount: 120 }, { currency: 'RUB', amount: 25_000 }, { currency: 'USD', amount: 400 }] },
  })
  await h.payload.create({
    collection: 'plans',
    overrideAccess: true,
    data: {
      code: PLAN,
      name: { ru: 'Бизнес', en: 'Business' },
      active: true,
      isDefault: false,
      sortOrder: 1,
      limits: { maxProjects: 7, maxConnections: 9, dailyGenerations: 50, dailySpendUsd: 5 },
      monthlyCredits: 300,
      prices: [{ currency: 'XTR', amount: 500 }, { currency: 'RUB', amount: 99_000 }, { currency: 'USD', amount: 1_500 }],
    },
  })
  await h.payload.create({
    collection: 'plans',
    overrideAccess: true,
    data: { code: TINY, name: { ru: 'Крошка', en: 'Tiny' }, active: false, isDefault: false, sortOrder: 99, limits: { maxProjects: 0, maxConnections: 0, dailyGenerations: 1, dailySpendUsd: 0.1 }, monthlyCredits: 0, prices: [] },
  })
})

afterAll(async () => {
  if (preCheckoutMs.length > 0) process.stdout.write(`pre-checkout answered in ${preCheckoutMs.map((ms) => ms.toFixed(0)).join(', ')} ms\n`)
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  resetProviders()
  await h?.close()
})

const fromOf = (user: TestUser, language: string): User => ({ id: user.id, is_bot: false, first_name: 'Test', language_code: language })

/** The customer opens the product from /plan's buttons and chooses Stars: the invoice the bot made. */
async function orderWithStars(user: TestUser, kind: 'plan' | 'pack', code: string): Promise<FakeInvoice> {
  await user.press(kind === 'plan' ? 'b:pl' : 'b:pk')
  const product = user.lastButtons().find((b) => b.callback_data === `b:b:${kind === 'plan' ? 's' : 'k'}:${code}`)
  expect(product, 'the product is listed').toBeDefined()
  await user.press(product!.callback_data)
  const stars = user.lastButtons().find((b) => b.callback_data?.endsWith(':st'))
  expect(stars?.text).toContain('⭐')
  await user.press(stars!.callback_data)
  const invoice = h.fake.stars.lastInvoice((i) => i.payload.includes(`:${code}:`))
  expect(invoice).toBeDefined()
  // The link the customer got is the invoice's.
  const sent = h.fake.callsTo('sendMessage', user.id).at(-1)!
  expect(sent.params.reply_markup.inline_keyboard.flat().map((b: { url?: string }) => b.url)).toContain(invoice!.link)
  return invoice!
}

/**
 * How long each pre-checkout took to answer (Telegram allows 10 s): from the update's handling
 * beginning to the answer reaching the Bot API, as Telegram counts it, not including whatever
 * the handler does after it has answered.
 */
const preCheckoutMs: number[] = []

async function approveAndPay(user: TestUser, invoice: FakeInvoice, language = 'en') {
  const { update, queryId } = h.fake.stars.preCheckout(invoice, fromOf(user, language))
  const started = Date.now()
  await h.bot.handleUpdate(update)
  expect(h.fake.stars.answerOf(queryId)).toEqual({ ok: true })
  const answer = h.fake.calls.find((c) => c.method === 'answerPreCheckoutQuery' && String(c.params.pre_checkout_query_id) === queryId)!
  preCheckoutMs.push(answer.at! - started)
  expect(preCheckoutMs.at(-1)).toBeLessThan(10_000)
  return h.fake.stars.pay(queryId)
}

/** The same update delivered again, as Telegram does after a 5xx (a new update id, same payment). */
const again = (update: Update): Update => ({ ...update, update_id: nextUpdateId() })

async function ledgerOf(accountId: number) {
  const { docs } = await h.payload.find({ collection: 'credit-ledger', where: { account: { equals: accountId } }, sort: 'createdAt', limit: 100, overrideAccess: true, depth: 0 })
  return docs
}

async function paymentsOf(accountId: number) {
  const { docs } = await h.payload.find({ collection: 'payments', where: { account: { equals: accountId } }, sort: 'createdAt', limit: 100, overrideAccess: true, depth: 0 })
  return docs
}

async function subscriptionOf(accountId: number) {
  const { docs } = await h.payload.find({ collection: 'subscriptions', where: { account: { equals: accountId } }, limit: 1, overrideAccess: true, depth: 0 })
  return docs[0]
}

describe('buying with Telegram Stars in the bot', () => {
  it('a credit pack: the invoice names the order, pre-checkout is approved, and the payment credits once even when the update comes twice', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(user, 'pack', PACK)
    expect(invoice).toMatchObject({ currency: 'XTR', prices: [{ amount: 120 }], subscriptionPeriod: undefined })
    expect(invoice.payload).toMatch(new RegExp(`^pf1:${account.id}:p:${PACK}:[0-9a-f-]{36}$`))

    const { update, charge } = await approveAndPay(user, invoice)
    // Delivered twice at once (two webhook workers), then once more after a retry.
    await Promise.all([h.bot.handleUpdate(update), h.bot.handleUpdate(again(update))])
    await h.bot.handleUpdate(again(update))

    expect(await balanceOf(h.payload, account.id)).toBe(700)
    expect((await ledgerOf(account.id)).filter((row) => row.kind === 'purchase')).toHaveLength(1)
    const [payment] = await paymentsOf(account.id)
    expect(payment).toMatchObject({ provider: 'stars', status: 'succeeded', amount: 120, currency: 'XTR', providerChargeId: charge.id, credits: 700 })
    const thanks = user.texts().filter((text) => text.includes('Payment received'))
    expect(thanks).toEqual([tr('en', 'billing.thanks_pack', { credits: 700, balance: 700 })])
    expect(thanks[0]).toContain('+700 credits')
    expect(thanks[0]).toContain('balance: 700')
  })

  it('a plan as a Stars subscription: 30-day invoice link, the plan applies, and each renewal credits once and moves the renewal date', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(user, 'plan', PLAN)
    expect(invoice).toMatchObject({ currency: 'XTR', prices: [{ amount: 500 }], subscriptionPeriod: 2_592_000 })
    expect(h.fake.callsTo('createInvoiceLink').at(-1)?.params).toMatchObject({ provider_token: '', currency: 'XTR', subscription_period: 2_592_000 })

    const first = await approveAndPay(user, invoice)
    await h.bot.handleUpdate(first.update)
    await h.bot.handleUpdate(again(first.update))
    let stored = await h.payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })
    expect(stored.plan).toBe(PLAN)
    let subscription = await subscriptionOf(account.id)
    expect(subscription).toMatchObject({ provider: 'stars', providerSubscriptionId: first.charge.id, planCode: PLAN, status: 'active' })
    expect(new Date(subscription!.currentPeriodEnd!).getTime()).toBe(first.charge.expiresAt! * 1000)
    expect(await balanceOf(h.payload, account.id)).toBe(300)

    // Thirty days later Telegram charges again: a new charge id, is_recurring, a later expiration.
    const renewal = h.fake.stars.renew(first.charge.id)
    await h.bot.handleUpdate(renewal.update)
    await h.bot.handleUpdate(renewal.update)
    await h.bot.handleUpdate(again(renewal.update))
    subscription = await subscriptionOf(account.id)
    expect(new Date(subscription!.currentPeriodEnd!).getTime()).toBe(renewal.charge.expiresAt! * 1000)
    expect(renewal.charge.expiresAt! - first.charge.expiresAt!).toBe(2_592_000)
    expect(await balanceOf(h.payload, account.id)).toBe(600)
    const payments = await paymentsOf(account.id)
    expect(payments.map((p) => [p.providerChargeId, p.status])).toEqual([
      [first.charge.id, 'succeeded'],
      [renewal.charge.id, 'succeeded'],
    ])
    const renewed = user.texts().filter((text) => text.startsWith('🔁'))
    expect(renewed).toHaveLength(1)
    expect(renewed[0]).toContain('Business')
    stored = await h.payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })
    expect(stored.plan).toBe(PLAN)

    // /plan shows the plan and when it renews; cancelling stops Telegram's renewal.
    await user.send('/plan')
    expect(user.lastText()).toContain('Your plan: Business')
    // In the customer's zone (the account's, Europe/Moscow by default).
    expect(user.lastText()).toContain(`Renews on ${localDateTime(new Date(renewal.charge.expiresAt! * 1000), stored)}`)
    expect(user.lastText()).toMatch(/Renews on \d{1,2} \w+ \d{4} at \d\d:\d\d, \w+ \(UTC[+-]\d+\)/)
    // A second subscription is not sold while this one renews (it would charge twice a month).
    await user.press(`b:b:s:${PLAN}`)
    expect(user.lastText()).toContain('You already have the <b>Business</b> subscription')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(['b:mg', 'b:pl'])
    await user.press('b:mg')
    await user.press('b:sc:1')
    expect(h.fake.callsTo('editUserStarSubscription').at(-1)?.params).toMatchObject({ user_id: user.id, telegram_payment_charge_id: first.charge.id, is_canceled: true })
    expect(user.lastText()).toContain('Renewal canceled')
    expect((await subscriptionOf(account.id))?.cancelAtPeriodEnd).toBe(true)
    expect(() => h.fake.stars.renew(renewal.charge.id)).toThrow(/canceled/)
    await user.press('b:sc:0')
    expect(user.lastText()).toContain('Renewal resumed')
    expect((await subscriptionOf(account.id))?.cancelAtPeriodEnd).toBe(false)

    // Staff refund the renewal: the stars go back, the plan ends now and Telegram stops renewing.
    const renewalPayment = payments[1]!
    const refunded = await refundPayment(h.payload, { paymentId: renewalPayment.id, staffUserId: null, reason: 'renewal not wanted' })
    expect(refunded).toMatchObject({ applied: true, amount: 500, creditsReversed: 300 })
    expect(h.fake.stars.refunds.map((r) => r.chargeId)).toContain(renewal.charge.id)
    expect(h.fake.callsTo('editUserStarSubscription').at(-1)?.params).toMatchObject({ telegram_payment_charge_id: first.charge.id, is_canceled: true })
    expect(() => h.fake.stars.renew(renewal.charge.id)).toThrow(/canceled/)
    expect((await h.payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })).plan).not.toBe(PLAN)
  })

  it('pre-checkout of a changed price or a product no longer sold is refused with a message in the customer’s language', async () => {
    const { user: english } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(english, 'pack', PACK)
    await h.payload.update({ collection: 'credit-packs', where: { code: { equals: PACK } }, data: { prices: [{ currency: 'XTR', amount: 130 }] }, overrideAccess: true })
    try {
      const { update, queryId } = h.fake.stars.preCheckout(invoice, fromOf(english, 'en'))
      await h.bot.handleUpdate(update)
      expect(h.fake.stars.answerOf(queryId)).toEqual({ ok: false, error_message: t('en', 'billing.pc_price_changed') })
      expect(() => h.fake.stars.pay(queryId)).toThrow(/not approved/)
    } finally {
      await h.payload.update({ collection: 'credit-packs', where: { code: { equals: PACK } }, data: { prices: [{ currency: 'XTR', amount: 120 }, { currency: 'RUB', amount: 25_000 }, { currency: 'USD', amount: 400 }] }, overrideAccess: true })
    }

    const { user: russian } = await verifiedUser(h, { language: 'ru' })
    const second = await orderWithStars(russian, 'pack', PACK)
    await h.payload.update({ collection: 'credit-packs', where: { code: { equals: PACK } }, data: { active: false }, overrideAccess: true })
    try {
      const { update, queryId } = h.fake.stars.preCheckout(second, fromOf(russian, 'ru'))
      await h.bot.handleUpdate(update)
      expect(h.fake.stars.answerOf(queryId)).toEqual({ ok: false, error_message: t('ru', 'billing.pc_inactive') })
    } finally {
      await h.payload.update({ collection: 'credit-packs', where: { code: { equals: PACK } }, data: { active: true }, overrideAccess: true })
    }

    // A payload that is not ours (forged or from another bot) is refused too.
    const { update, queryId } = h.fake.stars.preCheckout({ ...second, payload: 'free-stars-please' }, fromOf(russian, 'ru'))
    await h.bot.handleUpdate(update)
    expect(h.fake.stars.answerOf(queryId)).toEqual({ ok: false, error_message: t('ru', 'billing.pc_invalid') })
  })

  it('a refund by staff gives the stars back through refundStarPayment and reverses the ledger, once', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(user, 'pack', PACK)
    const { update, charge } = await approveAndPay(user, invoice)
    await h.bot.handleUpdate(update)
    expect(await balanceOf(h.payload, account.id)).toBe(700)
    const [payment] = await paymentsOf(account.id)

    const result = await refundPayment(h.payload, { paymentId: payment.id, staffUserId: null, reason: 'customer asked in /paysupport' })
    expect(result).toMatchObject({ applied: true, amount: 120, creditsReversed: 700 })
    expect(h.fake.stars.refunds).toContainEqual(expect.objectContaining({ chargeId: charge.id, userId: user.id, amount: 120 }))
    expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: user.id, telegram_payment_charge_id: charge.id })
    expect(await balanceOf(h.payload, account.id)).toBe(0)
    expect((await ledgerOf(account.id)).map((row) => [row.kind, row.credits])).toEqual([
      ['purchase', 700],
      ['refund', -700],
    ])
    expect((await h.payload.findByID({ collection: 'payments', id: payment.id, overrideAccess: true })).status).toBe('refunded')

    const calls = h.fake.callsTo('refundStarPayment').length
    expect((await refundPayment(h.payload, { paymentId: payment.id, staffUserId: null, reason: 'clicked twice' })).applied).toBe(false)
    expect(h.fake.callsTo('refundStarPayment')).toHaveLength(calls)
    // A charge Telegram does not know (400 CHARGE_NOT_FOUND) is refused and moves nothing.
    const stray = await h.payload.create({
      collection: 'payments',
      overrideAccess: true,
      data: { provider: 'stars', providerPaymentId: `stray-${tag}`, providerChargeId: `stxUnknown${tag}`, account: account.id, product: { kind: 'pack', code: PACK }, amount: 120, currency: 'XTR', status: 'succeeded', refundedAmount: 0, credits: 0, paidAt: new Date().toISOString() },
    })
    await expect(refundPayment(h.payload, { paymentId: stray.id, staffUserId: null, reason: 'not a real charge', language: 'en' })).rejects.toMatchObject({ status: 502, code: 'billing.refund.provider_failed' })
    expect((await h.payload.findByID({ collection: 'payments', id: stray.id, overrideAccess: true })).status).toBe('succeeded')
    expect(await balanceOf(h.payload, account.id)).toBe(0)

    // Telegram's own record agrees: the charge is refunded.
    const { transactions } = await (await import('../../src/telegram/client')).createApi(TOKEN).getStarTransactions()
    expect(transactions.some((tx) => tx.id === charge.id && tx.receiver?.type === 'user')).toBe(true)
  })
})

describe('/plan, the upgrade buttons, /paysupport and /terms', () => {
  async function setPlan(account: Account, plan: string) {
    await h.payload.update({ collection: 'accounts', id: account.id, data: { plan }, overrideAccess: true })
  }

  it('/plan shows the plan, usage against each limit and the credit balance, in English and in Russian', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await setPlan(account, PLAN)
    await h.payload.create({ collection: 'projects', data: { name: 'Counted', account: account.id, timezone: 'Europe/Berlin' } as never, overrideAccess: true })
    await user.send('/plan')
    const screen = user.lastText()
    expect(screen).toContain('Your plan: Business')
    expect(screen).toContain('No end date: nothing to renew')
    expect(screen).toContain('Projects: 1 of 7')
    expect(screen).toContain('Connections: 0 of 9')
    expect(screen).toContain('Generations today: 0 of 50')
    expect(screen).toContain('AI spend today: $0.00 of $5.00')
    // A plan staff set by hand, with no payment: its monthly credits (300) are this month's balance.
    expect(screen).toContain('Credits: <b>300</b>')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(['b:pl', 'b:pk', 'm:home'])

    // The plans list shows Stars and the English customer's card currency (USD), not roubles.
    await user.press('b:pl')
    expect(user.lastText()).toContain('<b>Business</b>')
    expect(user.lastText()).toContain('⭐ 500 · $15.00')
    expect(user.lastText()).not.toContain('₽')

    const { user: russian, account: ru } = await verifiedUser(h, { language: 'ru' })
    await setPlan(ru, PLAN)
    await russian.send('/plan')
    expect(russian.lastText()).toContain('Ваш тариф: Бизнес')
    expect(russian.lastText()).toContain('Проекты: 0 из 7')
    expect(russian.lastText()).toContain('Генерации сегодня: 0 из 50')
    expect(russian.lastText()).toContain('Кредиты: <b>300</b>')
    await russian.press('b:pl')
    // Intl separates the amount and the sign with a no-break space.
    expect(russian.lastText().replace(/\u00a0/g, ' ')).toContain('⭐ 500 · 990 ₽')
    // The main menu's Plan button opens the same screen.
    await russian.press('m:home')
    expect(russian.lastButtons().find((b) => b.callback_data === 'b:home')?.text).toBe('💎 Тариф')
  })

  it('a limit refusal carries the upgrade buttons, which open the plans', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await setPlan(account, TINY)
    // A new project is refused at once on a plan that allows none.
    await user.press('p:new')
    expect(user.lastText()).toContain(tr('en', 'plan.projects_limit', { plan: 'Tiny', limit: 0, count: 0 }))
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(expect.arrayContaining(['b:pl', 'b:pk']))
    expect((await h.session(user.id)).flow).toBeUndefined()
    await user.press('b:pl')
    expect(user.lastText()).toContain('Business')
  })

  it('/paysupport and /terms answer in the customer’s language; the command menu and allowed updates include billing', async () => {
    const { user } = await verifiedUser(h, { language: 'ru' })
    await user.send('/paysupport')
    expect(user.lastText()).toContain('Вопросы по оплате')
    expect(user.lastText()).toContain('/support')
    expect(user.lastText()).toContain('billing@postforge.test')
    await user.send('/terms')
    expect(user.lastText()).toContain('Условия использования')
    const { user: english } = await verifiedUser(h, { language: 'en' })
    await english.send('/terms')
    expect(english.lastText()).toContain('Terms of use')
    expect(COMMANDS).toEqual(expect.arrayContaining(['plan', 'paysupport', 'terms']))
    for (const command of ['plan', 'paysupport', 'terms']) {
      expect(t('ru', `cmd.${command}`)).not.toBe(`cmd.${command}`)
      expect(t('en', `cmd.${command}`)).not.toBe(`cmd.${command}`)
    }
    expect(ALLOWED_UPDATES).toContain('pre_checkout_query')
  })
})

describe('paying by card through YooKassa from the bot', () => {
  it('asks once for the 54-FZ receipt contact (validated), keeps it on the account and gives the payment link', async () => {
    const kassa = await startFakeYooKassa()
    Object.assign(process.env, { YOOKASSA_SHOP_ID: kassa.shopId, YOOKASSA_SECRET_KEY: kassa.secretKey, YOOKASSA_API_BASE: `${kassa.url}/v3` })
    reloadEnv()
    resetProviders()
    try {
      const { user, account } = await verifiedUser(h, { language: 'ru' })
      await user.press('b:pk')
      await user.press(`b:b:k:${PACK}`)
      const card = user.lastButtons().find((b) => b.callback_data === `b:p:k:${PACK}:yk`)
      expect(card?.text.replace(/\u00a0/g, ' ')).toBe('💳 Карта или СБП — 250 ₽')
      await user.press(card!.callback_data)
      expect(user.lastText()).toContain('54-ФЗ')
      await user.send('not a contact')
      expect(user.lastText()).toContain(t('ru', 'v.receipt_contact'))
      expect(kassa.payments()).toHaveLength(0)
      await user.send('Buyer@Example.ru')

      const stored = await h.payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })
      expect((stored as unknown as { receiptContact: { email: string } }).receiptContact.email).toBe('buyer@example.ru')
      const [created] = kassa.payments()
      expect(created).toMatchObject({ amount: { value: '250.00', currency: 'RUB' } })
      const request = kassa.callsTo('POST /v3/payments').at(-1)!
      expect(request.body).toMatchObject({ receipt: { customer: { email: 'buyer@example.ru' } } })
      const link = h.fake.callsTo('sendMessage', user.id).at(-1)!.params.reply_markup.inline_keyboard.flat()[0]
      expect(link).toEqual({ text: '💳 Перейти к оплате', url: created!.confirmation!.confirmation_url })

      // Next time the contact is known: straight to the link.
      await user.press(`b:p:k:${PACK}:yk`)
      expect(kassa.payments()).toHaveLength(2)
      expect(user.lastText()).toContain('Нажмите кнопку, чтобы перейти на страницу оплаты')
    } finally {
      for (const name of ['YOOKASSA_SHOP_ID', 'YOOKASSA_SECRET_KEY', 'YOOKASSA_API_BASE']) delete process.env[name]
      reloadEnv()
      resetProviders()
      await kassa.close()
    }
  })
})

describe('managing a Stripe subscription from the bot', () => {
  it('offers the Stripe customer portal for the customer of the subscription, and a Stripe price in the customer’s card currency', async () => {
    const stripe = await startFakeStripe()
    Object.assign(process.env, { STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: stripe.url })
    reloadEnv()
    resetProviders()
    try {
      const { user, account } = await verifiedUser(h, { language: 'en' })
      // The customer Stripe made at checkout (the webhook keeps its id on the payment).
      const customer = await stripeClient().customers.create({ metadata: { accountId: String(account.id) } })
      const paidAt = new Date()
      const payment = await h.payload.create({
        collection: 'payments',
        overrideAccess: true,
        data: { provider: 'stripe', providerPaymentId: `cs_test_${tag}`, account: account.id, product: { kind: 'plan', code: PLAN }, amount: 1_500, currency: 'USD', status: 'succeeded', refundedAmount: 0, paidAt: paidAt.toISOString(), metadata: { customerId: customer.id } },
      })
      expect(payment.id).toBeGreaterThan(0)
      await h.payload.create({
        collection: 'subscriptions',
        overrideAccess: true,
        data: { account: account.id, provider: 'stripe', providerSubscriptionId: `sub_${tag}`, planCode: PLAN, status: 'active', currentPeriodEnd: new Date(paidAt.getTime() + 30 * 86_400_000).toISOString(), lastEventAt: paidAt.toISOString() },
      })
      await user.send('/plan')
      expect(user.lastButtons().map((b) => b.callback_data)).toContain('b:mg')
      await user.press('b:mg')
      const portal = h.fake.calls.filter((c) => c.method === 'editMessageText' || c.method === 'sendMessage').at(-1)!
      const button = portal.params.reply_markup.inline_keyboard.flat().find((b: { url?: string }) => b.url)
      expect(button).toMatchObject({ text: '💳 Billing portal', url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\/bps_/) })
      expect([...stripe.state.portalSessions.values()].map((session) => session.customer)).toEqual([customer.id])

      // With Stripe on, an English customer sees dollars beside the stars.
      await user.press(`b:b:k:${PACK}`)
      expect(user.lastButtons().map((b) => b.callback_data)).toEqual([`b:p:k:${PACK}:st`, `b:p:k:${PACK}:sp`, 'b:pk'])
      expect(user.lastButtons().slice(0, 2).map((b) => b.text)).toEqual(['⭐ Telegram Stars — ⭐ 120', '💳 Bank card — $4.00'])
      // While the Stripe subscription renews, no second plan is sold.
      await user.press(`b:b:s:${PLAN}`)
      expect(user.lastText()).toContain('You already have the <b>Business</b> subscription')
    } finally {
      for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE']) delete process.env[name]
      reloadEnv()
      resetProviders()
      await stripe.close()
    }
  })
})

describe('attack fixes (AF1)', () => {
  it('a deleted (anonymised) account’s Stars payment is still refunded to the Telegram user who paid', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(user, 'pack', PACK)
    const { update, charge } = await approveAndPay(user, invoice)
    await h.bot.handleUpdate(update)
    const [payment] = await paymentsOf(account.id)
    // What account deletion does to the Telegram id (src/privacy): -<account id>.
    await h.payload.update({ collection: 'accounts', id: account.id, overrideAccess: true, data: { telegramId: -account.id } })
    const result = await refundPayment(h.payload, { paymentId: payment.id, staffUserId: null, reason: 'refund after deletion' })
    expect(result).toMatchObject({ applied: true, amount: 120 })
    expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: user.id, telegram_payment_charge_id: charge.id })
  })

  it('a free plan is never offered for purchase: its buy buttons lead back to the plans, not to “payments unavailable”', async () => {
    const FREE = `b3-free-${tag}`
    await h.payload.create({
      collection: 'plans',
      overrideAccess: true,
      data: { code: FREE, name: { ru: 'Бесплатный', en: 'Freebie' }, active: true, isDefault: false, sortOrder: 0, limits: { maxProjects: 1, maxConnections: 1, dailyGenerations: 1, dailySpendUsd: 0.1 }, monthlyCredits: 0, prices: [] },
    })
    const { user } = await verifiedUser(h, { language: 'en' })
    await user.press('b:pl')
    expect(user.lastButtons().map((b) => b.callback_data)).not.toContain(`b:b:s:${FREE}`)
    for (const data of [`b:b:s:${FREE}`, `b:p:s:${FREE}:st`]) {
      await user.press(data)
      expect(user.lastText()).not.toContain(tr('en', 'billing.unavailable'))
      expect(user.lastText()).toContain('Business')
      expect(h.fake.stars.lastInvoice((i) => i.payload.includes(`:${FREE}:`))).toBeUndefined()
    }
  })
})

describe('billing fixes (BF2b)', () => {
  it('a Stars payment that could not be credited (amount differs from the order) tells the customer where to get help, once', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const invoice = await orderWithStars(user, 'pack', PACK)
    const { update } = await approveAndPay(user, invoice)
    const paid = update.message!.successful_payment!
    const wrong: Update = { ...update, message: { ...update.message!, successful_payment: { ...paid, total_amount: paid.total_amount - 1 } } }
    await h.bot.handleUpdate(wrong)
    expect(await balanceOf(h.payload, account.id)).toBe(0)
    expect(user.lastText()).toBe(tr('en', 'billing.paysupport', { contact: '' }))
    const before = user.texts().length
    // The same update again (a retry) is a duplicate: no second message.
    await h.bot.handleUpdate(again(wrong))
    expect(user.texts()).toHaveLength(before)
  })

  it('a plan paid once by card through YooKassa shows the date it ends (not “renews”) and the next month can be bought', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const paidAt = new Date()
    const settled = await settlePayment(h.payload, {
      provider: 'yookassa',
      providerPaymentId: `yk-${tag}-${account.id}`,
      amount: 99_000,
      currency: 'RUB',
      paidAt,
      accountId: account.id,
      product: { kind: 'plan', code: PLAN },
    })
    expect(settled.applied).toBe(true)
    const subscription = await subscriptionOf(account.id)
    expect(subscription).toMatchObject({ provider: 'yookassa', status: 'active', cancelAtPeriodEnd: true })
    const date = localDateTime(subscription!.currentPeriodEnd!, account)
    await user.send('/plan')
    expect(user.lastText()).toContain(t('en', 'billing.ends', { date }))
    expect(user.lastText()).not.toContain('Renews on')
    await user.press(`b:b:s:${PLAN}`)
    expect(user.lastText()).not.toContain('You already have')
    expect(user.lastButtons().some((b) => b.callback_data === `b:p:s:${PLAN}:st`)).toBe(true)
  })
})
