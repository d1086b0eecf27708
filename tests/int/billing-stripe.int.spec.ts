import { readFileSync } from 'node:fs'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { POST } from '../../src/app/api/billing/stripe/route'
import { balanceOf } from '../../src/billing/ledger'
import { startCheckout } from '../../src/billing/payments'
import { PaymentProviderError, providerFor, resetProviders } from '../../src/billing/providers'
import { refundPayment } from '../../src/billing/refunds'
import { reloadEnv } from '../../src/lib/env'
import type { Account } from '../../src/payload-types'
import { signedDelivery, startFakeStripe, type FakeStripe } from '../fakes/stripe'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { holdPayment } from '../helpers/holdPayment'
import { timeLeft } from '../helpers/wait'

/**
 * Stripe end to end through our code: the `stripe` package against the fake Stripe API
 * (checkout, portal, refunds, subscriptions), and Stripe's signed webhook deliveries into the real
 * route handler (`POST /api/billing/stripe`). What a customer notices: their balance, their plan,
 * their payment's status.
 */
// What this file logs goes to a file of its own, read back at the end.
const logFile = vi.hoisted(() => {
  const file = `${process.cwd()}/.data/test-logs/billing-stripe-${process.pid}-${Date.now()}.log`
  process.env.LOG_FILE = file
  process.env.LOG_LEVEL = 'info'
  return file
})
const WEBHOOK_SECRET = `whsec_${crypto.randomUUID().replaceAll('-', '')}`
const savedEnv = { ...process.env }
let stripe: FakeStripe

const deliver = (event: unknown, secret = WEBHOOK_SECRET) => POST(signedDelivery(event, secret))

async function account(): Promise<Account> {
  return (await createTenant(await testPayload(), { name: 'Card buyer' })).account
}
async function planOf(id: number) {
  return (await (await testPayload()).findByID({ collection: 'accounts', id, depth: 0 })).plan
}
async function balance(id: number) {
  return balanceOf(await testPayload(), id)
}
async function paymentOf(id: number) {
  return (await testPayload()).findByID({ collection: 'payments', id, depth: 0 })
}
async function eventsRecorded(eventId: string) {
  return (await (await testPayload()).find({ collection: 'billing-events', where: { eventId: { equals: eventId } }, depth: 0 })).docs
}

/** A full refund of a 500-cent payment made at Stripe directly, through our Stripe client, as refundPayment would ask it. */
async function refundAtStripe(buyer: { id: number; telegramId: number }, payment: { id: number; providerPaymentId: string }, paymentIntent: string, idempotencyKey: string) {
  await providerFor('stripe')!.refund({
    payment: { id: payment.id, providerPaymentId: payment.providerPaymentId, providerChargeId: paymentIntent, amount: 500, refundedAmount: 0, currency: 'USD', accountId: buyer.id, telegramId: buyer.telegramId, metadata: null, receipt: null },
    amount: 500,
    idempotencyKey,
    reason: 'customer asked',
  } as Parameters<NonNullable<ReturnType<typeof providerFor>>['refund']>[0])
}

async function buy(accountId: number, product: { kind: 'plan' | 'pack'; code: string }, amount: number) {
  return startCheckout(await testPayload(), {
    provider: 'stripe',
    accountId,
    product,
    amount,
    currency: 'USD',
    title: product.kind === 'plan' ? `Plan ${product.code}` : `${product.code}`,
    description: 'Postforge',
    receipt: { email: 'buyer@example.com' },
  })
}

/** The customer pays; the completed session as Stripe's event carries it. */
function paid(sessionId: string) {
  return stripe.event('checkout.session.completed', stripe.completeCheckout(sessionId))
}

beforeAll(async () => {
  stripe = await startFakeStripe()
  Object.assign(process.env, { STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: stripe.url })
  reloadEnv()
  resetProviders()
  await testPayload()
})

afterAll(async () => {
  await stripe?.close()
  process.env = savedEnv
  reloadEnv()
  resetProviders()
})

describe('Stripe checkout', () => {
  it('opens a hosted Checkout for a pack and a subscription Checkout for a plan, each named for the account, with an idempotency key', async () => {
    const buyer = await account()
    const pack = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    expect(pack.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/)
    expect(pack.payment.status).toBe('pending')
    const [packCall] = stripe.callsTo('POST /v1/checkout/sessions').slice(-1)
    const sent = Object.fromEntries(new URLSearchParams(packCall!.raw.toString()))
    expect(sent).toMatchObject({
      mode: 'payment',
      client_reference_id: String(buyer.id),
      'metadata[accountId]': String(buyer.id),
      'metadata[productKind]': 'pack',
      'metadata[productCode]': 'credits-500',
      'payment_intent_data[metadata][accountId]': String(buyer.id),
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '500',
      customer_email: 'buyer@example.com',
      // No Adaptive Pricing: the customer is charged the amount and currency the payment was opened with.
      'adaptive_pricing[enabled]': 'false',
    })
    expect(packCall!.headers['idempotency-key']).toBe(`pf-checkout-${(pack.payment.metadata as { orderId: string }).orderId}`)

    const plan = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    const [planCall] = stripe.callsTo('POST /v1/checkout/sessions').slice(-1)
    expect(Object.fromEntries(new URLSearchParams(planCall!.raw.toString()))).toMatchObject({
      mode: 'subscription',
      'line_items[0][price_data][recurring][interval]': 'month',
      'subscription_data[metadata][productCode]': 'pro',
    })
    expect(plan.payment.providerPaymentId).toMatch(/^cs_test_/)

    // Asked twice for one order (a retry after a lost answer): Stripe answers the same session.
    const order = { orderId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', accountId: buyer.id, telegramId: buyer.telegramId, language: 'en' as const, product: { kind: 'pack' as const, code: 'credits-500' }, amount: 500, currency: 'USD' as const, title: '500 credits', description: 'Postforge' }
    const sessions = stripe.state.sessions.size
    const once = await providerFor('stripe')!.createCheckout(order)
    const twice = await providerFor('stripe')!.createCheckout(order)
    expect(twice.providerPaymentId).toBe(once.providerPaymentId)
    expect(stripe.state.sessions.size).toBe(sessions + 1)
  })

  it('a plan with a Stripe price set in the catalogue is sold at that price: Checkout names the price id, and the payment sets the plan', async () => {
    const price = stripe.definePrice({ unitAmount: 1900, currency: 'usd', recurring: true })
    const code = `sp-${Date.now().toString(36)}`
    await (await testPayload()).create({
      collection: 'plans',
      overrideAccess: true,
      data: {
        code,
        name: { ru: 'Со Stripe-ценой', en: 'Stripe-priced' },
        active: true,
        isDefault: false,
        sortOrder: 90,
        limits: { maxProjects: 3, maxConnections: 3, dailyGenerations: 10, dailySpendUsd: 1 },
        monthlyCredits: 700,
        prices: [{ currency: 'USD', amount: 1900, stripePriceId: price.id }, { currency: 'EUR', amount: 1800 }],
      },
    })
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code }, 1900)
    const [call] = stripe.callsTo('POST /v1/checkout/sessions').slice(-1)
    const sent = Object.fromEntries(new URLSearchParams(call!.raw.toString()))
    expect(sent).toMatchObject({ mode: 'subscription', 'line_items[0][price]': price.id, 'line_items[0][quantity]': '1' })
    expect(Object.keys(sent).filter((k) => k.includes('price_data'))).toEqual([])
    expect((await deliver(paid(payment.providerPaymentId))).status).toBe(200)
    expect(await planOf(buyer.id)).toBe(code)
    expect(await balance(buyer.id)).toBe(700)

    // Without a Stripe price for the currency the checkout carries our own amount.
    await startCheckout(await testPayload(), { provider: 'stripe', accountId: buyer.id, product: { kind: 'plan', code }, amount: 1800, currency: 'EUR', title: 'Plan', description: 'Postforge' })
    const [inline] = stripe.callsTo('POST /v1/checkout/sessions').slice(-1)
    expect(Object.fromEntries(new URLSearchParams(inline!.raw.toString()))).toMatchObject({ 'line_items[0][price_data][unit_amount]': '1800', 'line_items[0][price_data][currency]': 'eur' })
  })

  it('a wrong secret key is refused by Stripe: no checkout link, no payment recorded, an error that says so', async () => {
    const buyer = await account()
    process.env.STRIPE_SECRET_KEY = 'sk_test_revokedKey0000000000000000000'
    reloadEnv()
    resetProviders()
    try {
      const refused = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(PaymentProviderError)
      expect(refused).toMatchObject({ provider: 'stripe', retryable: false })
      expect((refused as Error).message).toMatch(/401 invalid_request_error api_key_invalid/)
      expect((refused as Error).message).not.toContain('revokedKey')
    } finally {
      process.env.STRIPE_SECRET_KEY = stripe.secretKey
      reloadEnv()
      resetProviders()
    }
    const payments = await (await testPayload()).find({ collection: 'payments', where: { account: { equals: buyer.id } }, depth: 0 })
    expect(payments.totalDocs).toBe(0)
  })

  it('keeps the Stripe customer for the portal link, gives the portal, and stops renewal at the period end', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'starter' }, 900)
    const completed = paid(payment.providerPaymentId)
    const session = completed.data.object
    await deliver(completed)
    // The Stripe customer is kept on the payment for the portal link.
    const customerId = ((await paymentOf(payment.id)).metadata as { customerId?: string }).customerId
    expect(customerId).toBe(session.customer)
    const provider = providerFor('stripe')!
    const url = await provider.manageUrl!({ accountId: buyer.id, providerCustomerId: customerId! })
    expect(url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//)
    await provider.cancelSubscription!({ providerSubscriptionId: session.subscription, accountId: buyer.id, telegramId: buyer.telegramId })
    expect(stripe.subscription(session.subscription)).toMatchObject({ status: 'active', cancel_at_period_end: true })
  })
})

describe('POST /api/billing/stripe', () => {
  it('refuses a missing, wrong or stale signature and a tampered body with 400, and applies nothing', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    const event = paid(payment.providerPaymentId)

    const unsigned = new Request('http://localhost/api/billing/stripe', { method: 'POST', body: JSON.stringify(event), headers: { 'content-type': 'application/json' } })
    expect((await POST(unsigned)).status).toBe(400)
    expect((await deliver(event, `whsec_${crypto.randomUUID().replaceAll('-', '')}`)).status).toBe(400)
    // Stripe refuses signatures older than five minutes (a replayed capture).
    expect((await POST(signedDelivery(event, WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 }))).status).toBe(400)
    // Signed, then changed on the way: another account, another amount.
    const genuine = signedDelivery(event, WEBHOOK_SECRET)
    const forged = JSON.stringify({ ...event, data: { object: { ...event.data.object, amount_total: 1 } } })
    expect((await POST(new Request(genuine.url, { method: 'POST', headers: genuine.headers, body: forged }))).status).toBe(400)

    expect(await balance(buyer.id)).toBe(0)
    expect((await paymentOf(payment.id)).status).toBe('pending')
    expect(await eventsRecorded(event.id)).toHaveLength(0)

    // The same event, properly signed, goes through.
    expect((await deliver(event)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(500)
  })

  it('whatever arrives unsigned or mis-signed (300 generated requests) is a 400 and records nothing', async () => {
    const now = Math.floor(Date.now() / 1000)
    // A real event of ours, among the generated bodies: it must not get through unsigned either.
    const genuine = stripe.event('checkout.session.completed', { id: 'cs_test_fuzz', object: 'checkout.session' })
    const header = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.tuple(fc.integer({ min: 0, max: 2 * now }), fc.stringMatching(/^[0-9a-f]{0,64}$/)).map(([t, v1]) => `t=${t},v1=${v1}`),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((v1) => `t=${now},v1=${v1},v0=${v1}`),
    )
    const body = fc.oneof(fc.string(), fc.json(), fc.constant(JSON.stringify(genuine)))
    await fc.assert(
      fc.asyncProperty(header, body, async (signature, raw) => {
        const response = await POST(
          new Request('http://localhost/api/billing/stripe', { method: 'POST', body: raw, headers: signature === undefined ? {} : { 'stripe-signature': signature } }),
        )
        expect(response.status).toBe(400)
      }),
      { numRuns: 300 },
    )
    expect(await eventsRecorded(genuine.id)).toHaveLength(0)
  })

  it('credits a paid pack once, however often and however concurrently the event is delivered', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-2000' }, 1800)
    const event = paid(payment.providerPaymentId)
    const answers = await Promise.all([deliver(event), deliver(event), deliver(event)])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    // A later repeat is answered from our record, without reading Stripe again.
    const reads = stripe.callsTo('GET /v1/checkout/sessions/:id').length
    expect((await deliver(event)).status).toBe(200)
    expect(stripe.callsTo('GET /v1/checkout/sessions/:id')).toHaveLength(reads)

    expect(await balance(buyer.id)).toBe(2000)
    const settled = await paymentOf(payment.id)
    expect(settled).toMatchObject({ status: 'succeeded', credits: 2000 })
    expect(settled.providerChargeId).toMatch(/^pi_test_/)
    expect(await eventsRecorded(event.id)).toHaveLength(1)
    const ledger = await (await testPayload()).find({ collection: 'credit-ledger', where: { account: { equals: buyer.id } }, depth: 0 })
    expect(ledger.docs.map((row) => [row.kind, row.credits])).toEqual([['purchase', 2000]])
  })

  it('a payment Stripe settled at another amount or currency credits nothing and is reported to staff with an error reference, naming the payment and both amounts', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    const event = paid(payment.providerPaymentId)
    const session = stripe.state.sessions.get(payment.providerPaymentId)! as { amount_total: number; currency: string }
    session.amount_total = 46_000
    session.currency = 'rub'
    expect((await deliver(event)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
    await vi.waitFor(() => {
      const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('settled with another amount') && l.includes(`"paymentId":${payment.id}`))
      expect(line).toBeTruthy()
      expect(JSON.parse(line!)).toMatchObject({ expected: [500, 'USD'], got: [46_000, 'RUB'], ref: expect.stringMatching(/^[0-9a-f]{8}$/) })
    }, { timeout: timeLeft() })
  })

  it('answers 404 while Stripe is not configured (billing off)', async () => {
    const event = stripe.event('customer.subscription.deleted', { id: 'sub_test_none', object: 'subscription' })
    delete process.env.STRIPE_SECRET_KEY
    delete process.env.STRIPE_WEBHOOK_SECRET
    reloadEnv()
    resetProviders()
    try {
      expect((await deliver(event)).status).toBe(404)
      expect(providerFor('stripe')).toBeNull()
    } finally {
      Object.assign(process.env, { STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET })
      reloadEnv()
      resetProviders()
    }
    expect(await eventsRecorded(event.id)).toHaveLength(0)
  })

  it('an expired checkout marks the payment canceled and credits nothing', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    expect((await deliver(stripe.event('checkout.session.expired', stripe.expireCheckout(payment.providerPaymentId)))).status).toBe(200)
    expect((await paymentOf(payment.id)).status).toBe('canceled')
    expect(await balance(buyer.id)).toBe(0)
  })

  it('acknowledges events off the allowlist without acting on them', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    const session = stripe.completeCheckout(payment.providerPaymentId)
    // Same paid session, but as an event type we do not act on.
    const other = stripe.event('checkout.session.async_payment_failed', session)
    expect((await deliver(other)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
    expect(await eventsRecorded(other.id)).toHaveLength(0)
  })

  it('a plan: active on payment, renewed by invoice.paid, kept while past_due, back to the default plan when canceled', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    const completed = paid(payment.providerPaymentId)
    const sub = completed.data.object.subscription as string
    expect((await deliver(completed)).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('pro')
    expect(await balance(buyer.id)).toBe(5000)

    // The first invoice belongs to the checkout: its invoice.paid gives nothing more.
    const firstInvoice = stripe.state.invoices.get(stripe.subscription(sub).latest_invoice)!
    expect((await deliver(stripe.event('invoice.paid', firstInvoice))).status).toBe(200)
    expect(await balance(buyer.id)).toBe(5000)

    // A month later Stripe charges the card again.
    const renewal = stripe.renew(sub)
    const paidAgain = stripe.event('invoice.paid', renewal)
    await deliver(paidAgain)
    await deliver(paidAgain)
    expect(await balance(buyer.id)).toBe(10_000)
    expect(await planOf(buyer.id)).toBe('pro')
    const rows = await (await testPayload()).find({ collection: 'subscriptions', where: { providerSubscriptionId: { equals: sub } }, depth: 0 })
    expect(new Date(rows.docs[0]!.currentPeriodEnd!).getTime()).toBe(stripe.subscription(sub).items.data[0].current_period_end * 1000)

    // The next charge is declined: past_due keeps the plan while Stripe retries the card.
    const failed = stripe.failRenewal(sub)
    expect((await deliver(stripe.event('invoice.payment_failed', failed))).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('pro')
    const pastDue = await (await testPayload()).find({ collection: 'subscriptions', where: { providerSubscriptionId: { equals: sub } }, depth: 0 })
    expect(pastDue.docs[0]!.status).toBe('past_due')

    // Stripe gives up and cancels.
    const canceled = stripe.cancelNow(sub)
    expect((await deliver(stripe.event('customer.subscription.deleted', canceled))).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('free')
  })

  it('out of order: an older update after the deletion, or an old subscription deleted after the new one started, ends in the right plan', async () => {
    const buyer = await account()
    const first = await buy(buyer.id, { kind: 'plan', code: 'starter' }, 900)
    const completedFirst = paid(first.payment.providerPaymentId)
    const subA = completedFirst.data.object.subscription as string
    await deliver(completedFirst)
    expect(await planOf(buyer.id)).toBe('starter')

    // The customer cancels; Stripe sends updated (cancel_at_period_end) and then deleted, but the
    // deleted one arrives first and the older updated one last.
    const updatedOld = stripe.event('customer.subscription.updated', { ...stripe.subscription(subA), cancel_at_period_end: true })
    const deletedA = stripe.event('customer.subscription.deleted', stripe.cancelNow(subA))
    expect((await deliver(deletedA)).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('free')
    expect((await deliver(updatedOld)).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('free')

    // A new subscription to another plan; then a late, older deletion of the first one.
    const second = await buy(buyer.id, { kind: 'plan', code: 'agency' }, 9900)
    const completedSecond = paid(second.payment.providerPaymentId)
    const subB = completedSecond.data.object.subscription as string
    const lateDeletion = stripe.event('customer.subscription.deleted', stripe.subscription(subA), { created: deletedA.created - 1 })
    await deliver(completedSecond)
    expect(await planOf(buyer.id)).toBe('agency')
    expect((await deliver(lateDeletion)).status).toBe(200)
    expect((await deliver(deletedA)).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('agency')

    // B's newer update (past_due) followed by an older one written while it was still active.
    const olderActive = stripe.event('customer.subscription.updated', stripe.subscription(subB))
    stripe.failRenewal(subB)
    const newerPastDue = stripe.event('customer.subscription.updated', stripe.subscription(subB))
    await deliver(newerPastDue)
    await deliver(olderActive)
    const rowB = await (await testPayload()).find({ collection: 'subscriptions', where: { providerSubscriptionId: { equals: subB } }, depth: 0 })
    expect(rowB.docs[0]).toMatchObject({ status: 'past_due', planCode: 'agency' })
    expect(await planOf(buyer.id)).toBe('agency')
  })

  it('a refund from the admin goes to Stripe on the payment intent, takes the credits back, and Stripe’s charge.refunded changes nothing more', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    await deliver(paid(payment.providerPaymentId))
    expect(await balance(buyer.id)).toBe(500)
    const paymentIntent = (await paymentOf(payment.id)).providerChargeId!

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'customer asked' })
    expect(result).toMatchObject({ applied: true, amount: 500, creditsReversed: 500 })
    const [call] = stripe.callsTo('POST /v1/refunds').slice(-1)
    expect(Object.fromEntries(new URLSearchParams(call!.raw.toString()))).toMatchObject({ payment_intent: paymentIntent, amount: '500' })
    expect(call!.headers['idempotency-key']).toMatch(/^pf-refund-refund:/)
    expect(await balance(buyer.id)).toBe(0)
    expect((await paymentOf(payment.id)).status).toBe('refunded')

    const charge = [...stripe.state.charges.values()].find((c) => c.payment_intent === paymentIntent)!
    expect(charge.amount_refunded).toBe(500)
    expect((await deliver(stripe.event('charge.refunded', charge))).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
    // Refunding again is refused before Stripe is called.
    const again = await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'customer asked' })
    expect(again.applied).toBe(false)
    expect(stripe.callsTo('POST /v1/refunds').filter((c) => c.raw.toString().includes(paymentIntent))).toHaveLength(1)
  })

  it('charge.refunded arriving while our own refund is still being recorded waits for it and is not reported to staff as a refund made outside Postforge', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    await deliver(paid(payment.providerPaymentId))
    const paymentIntent = (await paymentOf(payment.id)).providerChargeId!
    const held = await holdPayment('stripe', payment.providerPaymentId)
    try {
      // Stripe has refunded (our refundPayment's call) and sends charge.refunded before our transaction commits.
      await refundAtStripe(buyer, payment, paymentIntent, `race-${payment.id}`)
      const charge = [...stripe.state.charges.values()].find((c) => c.payment_intent === paymentIntent)!
      const event = stripe.event('charge.refunded', charge)
      const delivered = deliver(event)
      await Promise.race([held.waiter(), delivered])
      await held.recordRefundAndCommit(payment.id, 500)
      expect((await delivered).status).toBe(200)
      expect((await eventsRecorded(event.id))[0]).toMatchObject({ outcome: 'ignored: refund already recorded' })
    } finally {
      await held.release()
    }
  })

  it('a refunded plan payment is refunded on the payment intent of the subscription’s first invoice, and the plan ends', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    const completed = paid(payment.providerPaymentId)
    await deliver(completed)
    expect(await planOf(buyer.id)).toBe('pro')
    const invoice = stripe.state.invoices.get(stripe.subscription(completed.data.object.subscription as string).latest_invoice)!
    const paymentIntent = (invoice as typeof invoice & { _payments: { data: { payment: { payment_intent: string } }[] } })._payments.data[0]!.payment.payment_intent
    expect((await paymentOf(payment.id)).providerChargeId).toBe(paymentIntent)

    await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'charged by mistake' })
    const [call] = stripe.callsTo('POST /v1/refunds').slice(-1)
    expect(Object.fromEntries(new URLSearchParams(call!.raw.toString()))).toMatchObject({ payment_intent: paymentIntent, amount: '2900' })
    expect(await planOf(buyer.id)).toBe('free')
    expect(await balance(buyer.id)).toBe(0)
  })

  it('a plan refunded in full is canceled at Stripe at once, so no renewal charges the customer again; Stripe’s deletion event then changes nothing', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    const completed = paid(payment.providerPaymentId)
    const sub = completed.data.object.subscription as string
    await deliver(completed)
    expect(await planOf(buyer.id)).toBe('pro')

    await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'charged by mistake' })
    // Canceled now, not at the period end: Stripe will not invoice the card again.
    expect(stripe.callsTo('DELETE /v1/subscriptions/:id').filter((c) => c.path.endsWith(sub))).toHaveLength(1)
    expect(stripe.subscription(sub)).toMatchObject({ status: 'canceled', cancel_at_period_end: false })
    expect(await planOf(buyer.id)).toBe('free')
    const rows = async () => (await (await testPayload()).find({ collection: 'subscriptions', where: { providerSubscriptionId: { equals: sub } }, depth: 0 })).docs
    const [ended] = await rows()
    expect(ended).toMatchObject({ status: 'canceled' })
    expect(new Date(ended!.currentPeriodEnd!).getTime()).toBeLessThanOrEqual(Date.now())

    // Stripe's customer.subscription.deleted that follows: 200, nothing moves.
    const deleted = stripe.event('customer.subscription.deleted', stripe.subscription(sub))
    expect((await deliver(deleted)).status).toBe(200)
    expect(await planOf(buyer.id)).toBe('free')
    expect(await balance(buyer.id)).toBe(0)
    expect((await rows())[0]).toMatchObject({ status: 'canceled', currentPeriodEnd: ended!.currentPeriodEnd, updatedAt: ended!.updatedAt })
  })

  it('a refund Stripe already made (an earlier try whose record was rolled back, its key expired) is recorded, not refused with 502 for good', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    await deliver(paid(payment.providerPaymentId))
    const paymentIntent = (await paymentOf(payment.id)).providerChargeId!
    // The earlier try's refund at Stripe, under a key Stripe no longer remembers.
    await refundAtStripe(buyer, payment, paymentIntent, `expired-${payment.id}`)

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'customer asked' })
    expect(result).toMatchObject({ applied: true, amount: 500, creditsReversed: 500 })
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'refunded', refundedAmount: 500 })
    expect(await balance(buyer.id)).toBe(0)
    // Stripe refunded once.
    const charge = [...stripe.state.charges.values()].find((c) => c.payment_intent === paymentIntent)!
    expect(charge.amount_refunded).toBe(500)
  })

  it('a full plan refund whose cancel at Stripe fails is still recorded (the money is back): the plan ends here and staff are told', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    await deliver(paid(payment.providerPaymentId))
    expect(await planOf(buyer.id)).toBe('pro')
    stripe.fail('DELETE /v1/subscriptions/:id', { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } }, 3)

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'charged by mistake' })
    expect(result).toMatchObject({ applied: true, amount: 2900 })
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'refunded', refundedAmount: 2900 })
    expect(await planOf(buyer.id)).toBe('free')
    expect(await balance(buyer.id)).toBe(0)
    // A retry is not refunded twice.
    expect((await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'charged by mistake' })).applied).toBe(false)
    await vi.waitFor(() => expect(readFileSync(logFile, 'utf8')).toContain('a refunded plan could not be canceled at the provider'), { timeout: timeLeft() })
  })

  it('a plan refunded in part keeps the plan and its renewal until the period ends, and takes back its share of the credits', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'plan', code: 'pro' }, 2900)
    const completed = paid(payment.providerPaymentId)
    const sub = completed.data.object.subscription as string
    await deliver(completed)
    expect(await balance(buyer.id)).toBe(5000)

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, amount: 1450, staffUserId: null, reason: 'a week of outage' })
    expect(result).toMatchObject({ applied: true, amount: 1450, creditsReversed: 2500 })
    expect(stripe.callsTo('DELETE /v1/subscriptions/:id').filter((c) => c.path.endsWith(sub))).toHaveLength(0)
    expect(stripe.subscription(sub).status).toBe('active')
    expect(await planOf(buyer.id)).toBe('pro')
    expect((await paymentOf(payment.id)).status).toBe('partially_refunded')
  })

  it('answers 500 when Stripe cannot be read, so Stripe delivers again, and applies it then', async () => {
    const buyer = await account()
    const { payment } = await buy(buyer.id, { kind: 'pack', code: 'credits-500' }, 500)
    const event = paid(payment.providerPaymentId)
    // Three failures outlast the client's own retries (2).
    stripe.fail('GET /v1/checkout/sessions/:id', { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } }, 3)
    expect((await deliver(event)).status).toBe(500)
    expect(await balance(buyer.id)).toBe(0)
    expect(await eventsRecorded(event.id)).toHaveLength(0)
    expect((await deliver(event)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(500)
  })
})

describe('logs', () => {
  it('say what each event did and never carry the secret key or the signing secret', () => {
    const lines = readFileSync(logFile, 'utf8')
    expect(lines).toContain('"outcome":"applied: 2000 credits"')
    expect(lines).toContain('stripe event not applied')
    expect(lines).not.toContain(stripe.secretKey)
    expect(lines).not.toContain(WEBHOOK_SECRET)
  })
})
