import { readFileSync } from 'node:fs'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { POST } from '../../src/app/api/billing/yookassa/route'
import { balanceOf } from '../../src/billing/ledger'
import { startCheckout } from '../../src/billing/payments'
import { PaymentProviderError, providerFor, resetProviders, type PaymentProvider } from '../../src/billing/providers'
import { refundPayment } from '../../src/billing/refunds'
import { reloadEnv } from '../../src/lib/env'
import type { Account } from '../../src/payload-types'
import { startFakeYooKassa, type FakeYooKassa } from '../fakes/yookassa'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { holdPayment } from '../helpers/holdPayment'

/**
 * YooKassa end to end through our code: our client against the fake YooKassa API, and
 * notifications (unsigned, as YooKassa sends them) into the real route handler
 * (`POST /api/billing/yookassa`), which must believe only what the API says.
 */
// What this file logs goes to a file of its own, read back at the end.
const logFile = vi.hoisted(() => {
  const file = `${process.cwd()}/.data/test-logs/billing-yookassa-${process.pid}-${Date.now()}.log`
  process.env.LOG_FILE = file
  process.env.LOG_LEVEL = 'info'
  return file
})
const savedEnv = { ...process.env }
let kassa: FakeYooKassa

function notify(body: unknown, headers: Record<string, string> = {}) {
  return POST(
    new Request('http://localhost/api/billing/yookassa', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  )
}

async function account(): Promise<Account> {
  return (await createTenant(await testPayload(), { name: 'Карта' })).account
}
async function balance(id: number) {
  return balanceOf(await testPayload(), id)
}
async function paymentOf(id: number) {
  return (await testPayload()).findByID({ collection: 'payments', id, depth: 0 })
}
async function planOf(id: number) {
  return (await (await testPayload()).findByID({ collection: 'accounts', id, depth: 0 })).plan
}

async function buyPack(accountId: number, receipt: { email?: string; phone?: string } = { email: 'buyer@example.ru' }) {
  return startCheckout(await testPayload(), {
    provider: 'yookassa',
    accountId,
    product: { kind: 'pack', code: 'credits-2000' },
    amount: 99_000,
    currency: 'RUB',
    title: '2000 кредитов',
    description: 'Postforge: 2000 кредитов',
    receipt,
  })
}

/** The Starter plan bought through YooKassa and paid (YooKassa's notification delivered). */
async function paidStarterPlan(accountId: number) {
  const { payment } = await startCheckout(await testPayload(), {
    provider: 'yookassa',
    accountId,
    product: { kind: 'plan', code: 'starter' },
    amount: 49_000,
    currency: 'RUB',
    title: 'Тариф Starter',
    description: 'Postforge Starter, 1 месяц',
    receipt: { email: 'buyer@example.ru' },
  })
  await notify(kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId)))
  return payment
}

function useCredentials(secretKey: string) {
  Object.assign(process.env, { YOOKASSA_SHOP_ID: kassa.shopId, YOOKASSA_SECRET_KEY: secretKey, YOOKASSA_API_BASE: `${kassa.url}/v3` })
  reloadEnv()
  resetProviders()
}


beforeAll(async () => {
  kassa = await startFakeYooKassa()
  useCredentials(kassa.secretKey)
  await testPayload()
})

afterAll(async () => {
  await kassa?.close()
  process.env = savedEnv
  reloadEnv()
  resetProviders()
})

describe('YooKassa checkout', () => {
  it('creates the payment with an Idempotence-Key, capture, a redirect back, our metadata and a 54-FZ receipt with the email', async () => {
    const buyer = await account()
    const { payment, url } = await buyPack(buyer.id)
    expect(url).toMatch(/^https:\/\/yoomoney\.ru\/checkout\/payments\/v2\/contract\?orderId=/)
    expect(payment).toMatchObject({ status: 'pending', amount: 99_000, currency: 'RUB' })

    const [call] = kassa.callsTo('POST /v3/payments').slice(-1)
    const orderId = (payment.metadata as { orderId: string }).orderId
    expect(call!.headers['idempotence-key']).toBe(orderId)
    expect(call!.headers.authorization).toBe(`Basic ${Buffer.from(`${kassa.shopId}:${kassa.secretKey}`).toString('base64')}`)
    expect(call!.body).toMatchObject({
      amount: { value: '990.00', currency: 'RUB' },
      capture: true,
      confirmation: { type: 'redirect' },
      metadata: { orderId, accountId: String(buyer.id), productKind: 'pack', productCode: 'credits-2000' },
      receipt: {
        customer: { email: 'buyer@example.ru' },
        items: [{ description: '2000 кредитов', quantity: '1.00', amount: { value: '990.00', currency: 'RUB' }, vat_code: 1, payment_subject: 'service', payment_mode: 'full_payment' }],
      },
    })
    expect(payment.providerPaymentId).toBe(kassa.payments().at(-1)!.id)
  })

  it('puts a phone in the receipt as digits, and refuses a payment with no contact before calling YooKassa', async () => {
    const buyer = await account()
    await buyPack(buyer.id, { phone: '+7 (900) 123-45-67' })
    const [call] = kassa.callsTo('POST /v3/payments').slice(-1)
    expect((call!.body as { receipt: unknown }).receipt).toMatchObject({ customer: { phone: '79001234567' } })

    const before = kassa.callsTo('POST /v3/payments').length
    await expect(buyPack(buyer.id, {})).rejects.toBeInstanceOf(PaymentProviderError)
    expect(kassa.callsTo('POST /v3/payments')).toHaveLength(before)
  })

  it('a repeated request with the same Idempotence-Key gets the same payment from YooKassa, not a second one', async () => {
    const { createYooKassaApi, receiptOf, amountOf } = await import('../../src/billing/providers/yookassa')
    const api = createYooKassaApi({ shopId: kassa.shopId, secretKey: kassa.secretKey, apiBase: `${kassa.url}/v3` })
    const amount = amountOf(29_000, 'RUB')
    const body = { amount, capture: true as const, confirmation: { type: 'redirect' as const, return_url: 'https://t.me/postforge_bot' }, description: 'x', metadata: {}, receipt: receiptOf({ email: 'a@b.ru' }, { description: 'x', amount }) }
    const first = await api.createPayment(body, 'same-key-0001')
    const second = await api.createPayment(body, 'same-key-0001')
    expect(second.id).toBe(first.id)
    // Wrong credentials, and none at all, are refused alike.
    const wrong = createYooKassaApi({ shopId: kassa.shopId, secretKey: 'test_not_the_key', apiBase: `${kassa.url}/v3` })
    await expect(wrong.getPayment(first.id)).rejects.toMatchObject({ httpStatus: 401, code: 'invalid_credentials' })
    const anonymous = await fetch(`${kassa.url}/v3/payments/${first.id}`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ type: 'error', code: 'invalid_credentials' })
  })
})

describe('POST /api/billing/yookassa', () => {
  it('answers 404 while YooKassa is not configured (billing off)', async () => {
    delete process.env.YOOKASSA_SHOP_ID
    delete process.env.YOOKASSA_SECRET_KEY
    reloadEnv()
    resetProviders()
    try {
      expect((await notify(kassa.notification('payment.succeeded', { id: '2419a771-000f-5000-9000-000000000001' }))).status).toBe(404)
      expect(providerFor('yookassa')).toBeNull()
    } finally {
      useCredentials(kassa.secretKey)
    }
  })

  it('credits nothing for a payment YooKassa does not know', async () => {
    const buyer = await account()
    const forged = kassa.notification('payment.succeeded', {
      id: '2419a771-000f-5000-9000-1edaf29243f2',
      status: 'succeeded',
      paid: true,
      amount: { value: '990.00', currency: 'RUB' },
      metadata: { accountId: String(buyer.id), productKind: 'pack', productCode: 'credits-2000' },
    })
    expect((await notify(forged)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
    expect(kassa.callsTo('GET /v3/payments/:id').at(-1)!.path).toBe('/v3/payments/2419a771-000f-5000-9000-1edaf29243f2')
  })

  it('generated notifications (150: any JSON, any event, any id) are answered 400 or 200 and settle nothing', async () => {
    const payload = await testPayload()
    const ids = new Set<string>()
    const notification = fc.record({
      type: fc.oneof(fc.constant('notification'), fc.string()),
      event: fc.oneof(fc.constantFrom('payment.succeeded', 'payment.canceled', 'payment.waiting_for_capture', 'refund.succeeded', 'deal.closed'), fc.string()),
      object: fc.oneof(fc.record({ id: fc.string({ minLength: 1, maxLength: 120 }), status: fc.constantFrom('succeeded', 'pending'), paid: fc.boolean() }), fc.json()),
    })
    await fc.assert(
      fc.asyncProperty(fc.oneof(notification, fc.json()), async (body) => {
        const id = (body as { object?: { id?: unknown } } | null)?.object?.id
        if (typeof id === 'string') ids.add(id)
        expect([200, 400]).toContain((await notify(body)).status)
      }),
      { numRuns: 150 },
    )
    const touched = await payload.count({ collection: 'payments', where: { providerPaymentId: { in: [...ids] } } })
    expect(touched.totalDocs).toBe(0)
    const events = await payload.find({ collection: 'billing-events', where: { provider: { equals: 'yookassa' } }, pagination: false, depth: 0 })
    expect(events.docs.filter((e) => [...ids].some((id) => e.eventId.endsWith(`:${id}`)))).toHaveLength(0)
  })

  it('credits nothing when the notification says succeeded but the API says the payment is still pending', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    const claim = kassa.notification('payment.succeeded', { ...kassa.view(kassa.state.payments.get(payment.providerPaymentId)!), status: 'succeeded', paid: true })
    expect((await notify(claim)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
    expect((await paymentOf(payment.id)).status).toBe('pending')

    // Paid for real later: the genuine notification still credits.
    kassa.pay(payment.providerPaymentId)
    expect((await notify(claim)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(2000)
  })

  it('credits a paid pack once, however often and however concurrently YooKassa notifies', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    const paid = kassa.pay(payment.providerPaymentId)
    const note = kassa.notification('payment.succeeded', paid)
    const answers = await Promise.all([notify(note), notify(note), notify(note)])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    const reads = kassa.callsTo('GET /v3/payments/:id').length
    expect((await notify(note)).status).toBe(200)
    expect(kassa.callsTo('GET /v3/payments/:id')).toHaveLength(reads)
    expect(await balance(buyer.id)).toBe(2000)
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'succeeded', credits: 2000 })
    const ledger = await (await testPayload()).find({ collection: 'credit-ledger', where: { account: { equals: buyer.id } }, depth: 0 })
    expect(ledger.docs.map((row) => [row.kind, row.credits])).toEqual([['purchase', 2000]])
  })

  it('a plan paid through YooKassa sets the plan for a month', async () => {
    const buyer = await account()
    const payment = await paidStarterPlan(buyer.id)
    expect(await planOf(buyer.id)).toBe('starter')
    expect(await balance(buyer.id)).toBe(1000)
  })

  it('a plan paid through YooKassa and refunded in full ends now: back to the default plan, its credits taken back', async () => {
    const buyer = await account()
    const payment = await paidStarterPlan(buyer.id)
    expect(await planOf(buyer.id)).toBe('starter')
    await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'paid by mistake' })
    expect(await planOf(buyer.id)).toBe('free')
    expect(await balance(buyer.id)).toBe(0)
  })

  it('a canceled payment is marked canceled and credits nothing', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    await notify(kassa.notification('payment.canceled', kassa.cancel(payment.providerPaymentId)))
    expect((await paymentOf(payment.id)).status).toBe('canceled')
    expect(await balance(buyer.id)).toBe(0)
  })

  it('answers 500 when YooKassa cannot confirm (wrong credentials), so it notifies again, and credits then', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    const note = kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId))
    useCredentials('test_rotated_but_not_updated')
    try {
      expect((await notify(note)).status).toBe(500)
      expect(await balance(buyer.id)).toBe(0)
    } finally {
      useCredentials(kassa.secretKey)
    }
    expect((await notify(note)).status).toBe(200)
    expect(await balance(buyer.id)).toBe(2000)
  })

  it('refuses what is not a notification, and with the address check on, addresses outside YooKassa’s ranges', async () => {
    expect((await notify({ hello: 'world' })).status).toBe(400)
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    const note = kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId))
    process.env.YOOKASSA_CHECK_IP = 'true'
    reloadEnv()
    try {
      expect((await notify(note, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403)
      expect(await balance(buyer.id)).toBe(0)
      expect((await notify(note, { 'x-forwarded-for': '203.0.113.9, 185.71.76.10' })).status).toBe(200)
      expect(await balance(buyer.id)).toBe(2000)
    } finally {
      delete process.env.YOOKASSA_CHECK_IP
      reloadEnv()
    }
  })

  it('a refund from the admin goes to YooKassa with an Idempotence-Key, takes the credits back, and refund.succeeded changes nothing more', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    await notify(kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId)))
    expect(await balance(buyer.id)).toBe(2000)

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, staffUserId: null, reason: 'customer asked' })
    expect(result).toMatchObject({ applied: true, amount: 99_000, creditsReversed: 2000 })
    const [call] = kassa.callsTo('POST /v3/refunds').slice(-1)
    expect(call!.headers['idempotence-key']).toBeTruthy()
    // A full refund: YooKassa makes the refund receipt from the payment's own.
    expect(call!.body).toMatchObject({ payment_id: payment.providerPaymentId, amount: { value: '990.00', currency: 'RUB' } })
    expect(call!.body).not.toHaveProperty('receipt')
    expect(await balance(buyer.id)).toBe(0)
    expect((await paymentOf(payment.id)).status).toBe('refunded')
    expect(kassa.state.payments.get(payment.providerPaymentId)!.refunded_amount).toEqual({ value: '990.00', currency: 'RUB' })

    const refund = [...kassa.state.refunds.values()].at(-1)!
    expect((await notify(kassa.notification('refund.succeeded', refund))).status).toBe(200)
    expect(await balance(buyer.id)).toBe(0)
  })

  it('refund.succeeded arriving while our own refund is still being recorded waits for it and is not reported to staff as a refund made outside Postforge', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    await notify(kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId)))
    const held = await holdPayment('yookassa', payment.providerPaymentId)
    try {
      await providerFor('yookassa')!.refund({
        payment: { id: payment.id, providerPaymentId: payment.providerPaymentId, providerChargeId: null, amount: 99_000, refundedAmount: 0, currency: 'RUB', accountId: buyer.id, telegramId: buyer.telegramId, metadata: null, receipt: { email: 'buyer@example.ru' } },
        amount: 99_000,
        idempotencyKey: `race-${payment.id}`,
        reason: 'customer asked',
      } as Parameters<PaymentProvider['refund']>[0])
      const refund = [...kassa.state.refunds.values()].at(-1)!
      const notified = notify(kassa.notification('refund.succeeded', refund))
      await Promise.race([held.waiter(), notified])
      await held.recordRefundAndCommit(payment.id, 99_000)
      expect((await notified).status).toBe(200)
      const events = await (await testPayload()).find({ collection: 'billing-events', where: { eventId: { equals: `refund.succeeded:${refund.id}` } }, depth: 0 })
      expect(events.docs[0]).toMatchObject({ outcome: 'ignored: refund already recorded' })
    } finally {
      await held.release()
    }
  })

  it('a partial refund carries a 54-FZ refund receipt for the part returned, to the contact the payment was made with', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id)
    await notify(kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId)))
    const stored = await paymentOf(payment.id)
    const result = await providerFor('yookassa')!.refund({
      payment: {
        id: stored.id,
        providerPaymentId: stored.providerPaymentId,
        providerChargeId: null,
        amount: stored.amount,
        refundedAmount: 0,
        currency: 'RUB',
        accountId: buyer.id,
        telegramId: buyer.telegramId,
        metadata: stored.metadata as Record<string, unknown>,
        receipt: { email: stored.receipt?.email ?? undefined },
      } as Parameters<PaymentProvider['refund']>[0]['payment'],
      amount: 49_500,
      idempotencyKey: `partial-${stored.id}`,
      reason: 'half back',
    })
    expect(result.status).toBe('succeeded')
    const [call] = kassa.callsTo('POST /v3/refunds').slice(-1)
    expect(call!.body).toMatchObject({
      amount: { value: '495.00', currency: 'RUB' },
      receipt: { customer: { email: 'buyer@example.ru' }, items: [{ description: '2000 кредитов', amount: { value: '495.00', currency: 'RUB' }, payment_subject: 'service', payment_mode: 'full_payment' }] },
    })
  })
})

describe('partial refunds from the admin', () => {
  it('half of a pack refunded through refundPayment reaches YooKassa with a refund receipt to the payment’s contact, and takes half the credits back', async () => {
    const buyer = await account()
    const { payment } = await buyPack(buyer.id, { phone: '+7 900 123-45-67' })
    await notify(kassa.notification('payment.succeeded', kassa.pay(payment.providerPaymentId)))
    expect(await balance(buyer.id)).toBe(2000)

    const result = await refundPayment(await testPayload(), { paymentId: payment.id, amount: 49_500, staffUserId: null, reason: 'half back' })
    expect(result).toMatchObject({ applied: true, amount: 49_500, creditsReversed: 1000 })
    const [call] = kassa.callsTo('POST /v3/refunds').slice(-1)
    expect(call!.body).toMatchObject({
      payment_id: payment.providerPaymentId,
      amount: { value: '495.00', currency: 'RUB' },
      receipt: { customer: { phone: '79001234567' }, items: [{ amount: { value: '495.00', currency: 'RUB' } }] },
    })
    expect(await balance(buyer.id)).toBe(1000)
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'partially_refunded', refundedAmount: 49_500 })
    expect(kassa.state.payments.get(payment.providerPaymentId)!.refunded_amount).toEqual({ value: '495.00', currency: 'RUB' })
  })
})

describe('logs', () => {
  it('say what each notification did and never carry the secret key or the Basic credentials', () => {
    const lines = readFileSync(logFile, 'utf8')
    expect(lines).toContain('"outcome":"ignored: unknown payment"')
    expect(lines).toContain('yookassa notification not applied')
    expect(lines).not.toContain(kassa.secretKey)
    expect(lines).not.toContain('test_rotated_but_not_updated')
    expect(lines).not.toContain(Buffer.from(`${kassa.shopId}:${kassa.secretKey}`).toString('base64'))
  })
})
