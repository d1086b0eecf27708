import fc from 'fast-check'
import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ABANDONED_HOLD_MS, refundAbandonedHolds, refundGeneration, reserveGeneration, settleGeneration } from '../../src/billing/credits'
import { processOnce } from '../../src/billing/events'
import { balanceOf, grantCredits, spendCredits } from '../../src/billing/ledger'
import { createPendingPayment, settlePayment } from '../../src/billing/payments'
import { useProviderForTests, type PaymentProvider, type RefundInput } from '../../src/billing/providers'
import { refundPayment } from '../../src/billing/refunds'
import { expireEndedPeriods, syncSubscription } from '../../src/billing/subscriptions'
import { reloadEnv } from '../../src/lib/env'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { onPlanWithoutMonthlyCredits } from '../helpers/meteredPlan'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'

let payload: Payload
let admin: { user: { id: number }; auth: Auth }
let support: { user: { id: number }; auth: Auth }
const savedEnv = { ...process.env }

beforeAll(async () => {
  process.env.BILLING_ENABLED = 'true'
  reloadEnv()
  payload = await testPayload()
  admin = await createStaff(payload, ['admin'])
  support = await createStaff(payload, ['support'])
})
afterAll(() => {
  process.env = savedEnv
  reloadEnv()
})

const ledgerOf = async (accountId: number) =>
  (await payload.find({ collection: 'credit-ledger', where: { account: { equals: accountId } }, sort: 'id', limit: 1000, depth: 0, pagination: false })).docs

let seq = 0
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`

/**
 * A provider registered by the test through the registry's test hook (`useProviderForTests`), so
 * the core's refund path is exercised without a platform; it records what it was asked.
 */
function recordingProvider(name: 'yookassa' | 'stars', partialRefunds: boolean) {
  const refunds: RefundInput[] = []
  const provider: PaymentProvider = {
    name,
    currencies: name === 'stars' ? ['XTR'] : ['RUB'],
    partialRefunds,
    subscriptions: false,
    createCheckout: async (input) => ({ providerPaymentId: input.orderId, url: `https://pay.example/${input.orderId}` }),
    refund: async (input) => {
      refunds.push(input)
      return { providerRefundId: `rf-${refunds.length}`, status: 'succeeded' }
    },
  }
  return { provider, refunds }
}

async function paidPack(t: Tenant, credits: number, provider: 'yookassa' | 'stars' = 'yookassa') {
  const providerPaymentId = uid('pay')
  await createPendingPayment(payload, {
    provider,
    providerPaymentId,
    accountId: t.account.id,
    product: { kind: 'pack', code: 'test-pack' },
    amount: 49_000,
    currency: provider === 'stars' ? 'XTR' : 'RUB',
    credits,
  })
  const settled = await settlePayment(payload, { provider, providerPaymentId, chargeId: uid('charge'), amount: 49_000, currency: provider === 'stars' ? 'XTR' : 'RUB', paidAt: new Date() })
  return { providerPaymentId, settled }
}

describe('the credit balance under concurrent spends', () => {
  it('100 concurrent spends of random sizes never take a random balance below zero, and what was accepted is exactly what left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3_000 }), fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 100, maxLength: 100 }), async (start, sizes) => {
        const t = await createTenant(payload, { name: 'Spender' })
        if (start > 0) await grantCredits(payload, { accountId: t.account.id, credits: start, reason: 'property test start', staffUserId: admin.user.id })
        const results = await Promise.allSettled(
          sizes.map((credits, i) => spendCredits(payload, { accountId: t.account.id, credits, reason: 'test spend', idempotencyKey: `${uid('spend')}-${i}` })),
        )
        const accepted = sizes.filter((_, i) => results[i]!.status === 'fulfilled')
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'billing.no_credits', status: 402 })
        const balance = await balanceOf(payload, t.account.id)
        expect(balance).toBeGreaterThanOrEqual(0)
        expect(start - balance).toBe(accepted.reduce((a, b) => a + b, 0))
        // No moment in the ledger's history was below zero either.
        const rows = await ledgerOf(t.account.id)
        expect(Math.min(...rows.map((r) => r.balanceAfter ?? 0))).toBeGreaterThanOrEqual(0)
        // A refused spend was one the balance left at that moment could not cover.
        if (accepted.length < sizes.length) expect(balance).toBeLessThan(Math.max(...sizes.filter((_, i) => results[i]!.status === 'rejected')))
      }),
      { numRuns: 6 },
    )
  }, 240_000)

  it('a spend with the same key is taken once, and the refusal speaks the customer’s language', async () => {
    const t = await createTenant(payload)
    await grantCredits(payload, { accountId: t.account.id, credits: 10, reason: 'start', staffUserId: admin.user.id })
    const key = uid('once')
    const [a, b] = await Promise.all([1, 2].map(() => spendCredits(payload, { accountId: t.account.id, credits: 4, reason: 'x', idempotencyKey: key })))
    expect([a!.applied, b!.applied].sort()).toEqual([false, true])
    expect(await balanceOf(payload, t.account.id)).toBe(6)
    await expect(spendCredits(payload, { accountId: t.account.id, credits: 7, reason: 'x', idempotencyKey: uid('k') })).rejects.toMatchObject({
      code: 'billing.no_credits',
      message: 'Not enough credits: your balance is 6, this generation needs 7. Top up or change your plan in /plan.',
    })
  })
})

describe('payments', () => {
  it('a payment settled twice (even at once) is credited once, and an unknown one credits nothing', async () => {
    const t = await createTenant(payload)
    const providerPaymentId = uid('pay')
    await createPendingPayment(payload, { provider: 'yookassa', providerPaymentId, accountId: t.account.id, product: { kind: 'pack', code: 'p100' }, amount: 29_000, currency: 'RUB', credits: 100 })
    const settle = () => settlePayment(payload, { provider: 'yookassa', providerPaymentId, amount: 29_000, currency: 'RUB', paidAt: new Date() })
    const results = await Promise.all([settle(), settle()])
    expect(results.map((r) => r.applied).sort()).toEqual([false, true])
    expect((await settle()).reason).toBe('already_settled')
    expect(await balanceOf(payload, t.account.id)).toBe(100)
    const rows = await ledgerOf(t.account.id)
    expect(rows.map((r) => [r.kind, r.credits])).toEqual([['purchase', 100]])

    const unknown = await settlePayment(payload, { provider: 'yookassa', providerPaymentId: uid('nobody'), amount: 29_000, currency: 'RUB', paidAt: new Date() })
    expect(unknown).toMatchObject({ applied: false, reason: 'unknown_payment', credits: 0 })
    // Another amount than the checkout's credits nothing either.
    const other = uid('pay')
    await createPendingPayment(payload, { provider: 'yookassa', providerPaymentId: other, accountId: t.account.id, product: { kind: 'pack', code: 'p100' }, amount: 29_000, currency: 'RUB', credits: 100 })
    expect(await settlePayment(payload, { provider: 'yookassa', providerPaymentId: other, amount: 100, currency: 'RUB', paidAt: new Date() })).toMatchObject({ applied: false, reason: 'mismatch' })
    expect(await balanceOf(payload, t.account.id)).toBe(100)
  })

  it('an event delivered twice at once is applied once (processOnce)', async () => {
    const t = await createTenant(payload)
    const eventId = uid('evt')
    let runs = 0
    const deliver = () =>
      processOnce(payload, { provider: 'stripe', eventId, type: 'checkout.session.completed' }, async (tx) => {
        runs += 1
        await spendCredits(payload, { accountId: t.account.id, credits: 1, reason: 'x', idempotencyKey: uid('ev') }, tx).catch(() => undefined)
        return 'applied'
      })
    const [a, b] = await Promise.all([deliver(), deliver()])
    expect([a.applied, b.applied].sort()).toEqual([false, true])
    expect(runs).toBe(1)
    expect((await deliver()).outcome).toBe('applied')
  })
})

describe('refunds', () => {
  it('a refund gives the money back through the provider once and reverses the credits on the ledger', async () => {
    const { provider, refunds } = recordingProvider('yookassa', true)
    const restore = useProviderForTests(provider)
    try {
      const t = await createTenant(payload)
      const { settled } = await paidPack(t, 100)
      const id = settled.payment!.id
      expect(await balanceOf(payload, t.account.id)).toBe(100)

      // Partial first: a quarter of the money takes back a quarter of the credits.
      const part = await rest('POST', `/payments/${id}/refund`, { auth: admin.auth, body: { amount: 12_250, reason: 'customer asked' } })
      expect(part.status).toBe(200)
      expect(part.json).toMatchObject({ applied: true, payment: { status: 'partially_refunded', refundedAmount: 12_250 }, refund: { amount: 12_250, creditsReversed: 25, creditsShort: 0 } })
      expect(await balanceOf(payload, t.account.id)).toBe(75)

      // The rest, twice: the second finds nothing left and calls nobody.
      const rest1 = await rest('POST', `/payments/${id}/refund`, { auth: admin.auth, body: { reason: 'the rest' } })
      expect(rest1.json).toMatchObject({ applied: true, payment: { status: 'refunded', refundedAmount: 49_000 }, refund: { creditsReversed: 75 } })
      const again = await rest('POST', `/payments/${id}/refund`, { auth: admin.auth, body: { reason: 'the rest' } })
      expect(again.json).toMatchObject({ applied: false })
      expect(refunds.map((r) => r.amount)).toEqual([12_250, 36_750])
      expect(new Set(refunds.map((r) => r.idempotencyKey)).size).toBe(2)
      expect(await balanceOf(payload, t.account.id)).toBe(0)
      const rows = await ledgerOf(t.account.id)
      expect(rows.map((r) => [r.kind, r.credits])).toEqual([['purchase', 100], ['refund', -25], ['refund', -75]])
      expect(rows[1]!.staffUser).toBe(admin.user.id)
      // Money in reasons reads as money: 49 000 kopecks are 490.00 RUB, 12 250 are 122.50 RUB.
      expect(rows[0]!.reason).toContain('490.00 RUB')
      expect(rows[1]!.reason).toContain('refund of payment ' + id + ' (122.50 RUB)')
    } finally {
      restore()
    }
  })

  it('credits already spent stay spent: the refund takes what is there and says so, the balance never goes negative', async () => {
    const { provider } = recordingProvider('stars', false)
    const restore = useProviderForTests(provider)
    try {
      const t = await createTenant(payload)
      const { settled } = await paidPack(t, 100, 'stars')
      await spendCredits(payload, { accountId: t.account.id, credits: 80, reason: 'generations', idempotencyKey: uid('s') })
      // Stars refunds only whole payments.
      const partial = await rest('POST', `/payments/${settled.payment!.id}/refund`, { auth: admin.auth, body: { amount: 10, reason: 'half' }, lang: 'ru' })
      expect(partial.status).toBe(422)
      expect(partial.json.errors[0].message).toBe('stars не поддерживает частичный возврат: можно вернуть только всю сумму.')
      const full = await rest('POST', `/payments/${settled.payment!.id}/refund`, { auth: admin.auth, body: { reason: 'refund to the customer' } })
      expect(full.json.refund).toMatchObject({ creditsReversed: 20, creditsShort: 80 })
      expect(await balanceOf(payload, t.account.id)).toBe(0)
      const last = (await ledgerOf(t.account.id)).at(-1)!
      expect(last.reason).toContain('80 of 100 credits were already spent and stay spent')
    } finally {
      restore()
    }
  })

  it('only admins refund; a bad body is a translated 422', async () => {
    const t = await createTenant(payload)
    const { settled } = await paidPack(t, 10)
    const path = `/payments/${settled.payment!.id}/refund`
    expect((await rest('POST', path, { auth: support.auth, body: { reason: 'try' } })).status).toBe(403)
    expect((await rest('POST', path, { auth: t.auth, body: { reason: 'try' } })).status).toBe(403)
    expect((await rest('POST', path, { body: { reason: 'try' } })).status).toBe(401)
    const bad = await rest('POST', path, { auth: admin.auth, body: { amount: -5 } })
    expect(bad.status).toBe(422)
    expect(bad.json.errors[0].data.code).toBe('billing.refund.invalid_body')
  })
})

describe('the ledger is append-only on every face', () => {
  it('admins grant with a reason (the staff member from the session), other kinds and reasonless grants are refused', async () => {
    const t = await createTenant(payload)
    const grant = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'grant', credits: 50, reason: 'goodwill', staffUser: support.user.id } })
    expect(grant.status).toBe(201)
    expect(grant.json.doc).toMatchObject({ kind: 'grant', credits: 50, balanceAfter: 50, staffUser: expect.objectContaining({ id: admin.user.id }) })
    expect((await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'purchase', credits: 50, reason: 'fake purchase' } })).status).toBe(403)
    const noReason = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'grant', credits: 5 }, lang: 'ru' })
    expect(noReason.status).toBe(422)
    expect(noReason.json.errors[0].message).toBe('Укажите причину (не короче 3 символов).')
    const below = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'adjustment', credits: -51, reason: 'too much' } })
    expect(below.status).toBe(422)
    expect(below.json.errors[0].data.code).toBe('billing.negative_balance')
    const gq = await gql(`mutation { createCreditLedger(data: { account: ${t.account.id}, kind: adjustment, credits: -20, reason: "correction" }) { id credits balanceAfter } }`, { auth: admin.auth })
    expect(gq.json.data?.createCreditLedger, JSON.stringify(gq.json.errors)).toMatchObject({ credits: -20, balanceAfter: 30 })
    expect(await balanceOf(payload, t.account.id)).toBe(30)
    // Support and customers cannot write the ledger at all.
    expect((await rest('POST', '/credit-ledger', { auth: support.auth, body: { account: t.account.id, kind: 'grant', credits: 5, reason: 'please' } })).status).toBe(403)
    expect((await rest('POST', '/credit-ledger', { auth: t.auth, body: { account: t.account.id, kind: 'grant', credits: 500, reason: 'free money' } })).status).toBe(403)
    const mine = await gql(`mutation { createCreditLedger(data: { account: ${t.account.id}, kind: grant, credits: 500, reason: "free money" }) { id } }`, { auth: t.auth })
    expect(mine.json.data?.createCreditLedger ?? null).toBeNull()
    expect(await balanceOf(payload, t.account.id)).toBe(30)
  })

  it('nobody updates or deletes a ledger row or a payment, admins included, over REST or GraphQL', async () => {
    const t = await createTenant(payload)
    await grantCredits(payload, { accountId: t.account.id, credits: 7, reason: 'start', staffUserId: admin.user.id })
    const [row] = await ledgerOf(t.account.id)
    const { settled } = await paidPack(t, 5)
    for (const auth of [admin.auth, t.auth]) {
      expect((await rest('PATCH', `/credit-ledger/${row!.id}`, { auth, body: { credits: 7000 } })).status).toBe(403)
      expect((await rest('DELETE', `/credit-ledger/${row!.id}`, { auth })).status).toBe(403)
      expect((await rest('PATCH', `/credit-ledger?where[id][equals]=${row!.id}`, { auth, body: { credits: 7000 } })).json.docs ?? []).toEqual([])
      expect((await rest('DELETE', `/credit-ledger?where[id][equals]=${row!.id}`, { auth })).json.docs ?? []).toEqual([])
      const upd = await gql(`mutation { updateCreditLedger(id: ${row!.id}, data: { credits: 7000 }) { id credits } }`, { auth })
      expect(upd.json.data?.updateCreditLedger ?? null).toBeNull()
      expect(upd.json.errors?.length).toBeGreaterThan(0)
      const del = await gql(`mutation { deleteCreditLedger(id: ${row!.id}) { id } }`, { auth })
      expect(del.json.data?.deleteCreditLedger ?? null).toBeNull()
      expect((await rest('PATCH', `/payments/${settled.payment!.id}`, { auth, body: { status: 'refunded' } })).status).toBe(403)
      expect((await rest('DELETE', `/payments/${settled.payment!.id}`, { auth })).status).toBe(403)
      const pay = await gql(`mutation { updatePayment(id: ${settled.payment!.id}, data: { amount: 1 }) { id } }`, { auth })
      expect(pay.json.data?.updatePayment ?? null).toBeNull()
    }
    expect((await ledgerOf(t.account.id)).map((r) => r.credits)).toEqual([7, 5])
    expect(await balanceOf(payload, t.account.id)).toBe(12)
  })

  it('a customer reads its own ledger and payments and nobody else’s', async () => {
    const a = await createTenant(payload, { name: 'A' })
    const b = await createTenant(payload, { name: 'B' })
    await paidPack(a, 3)
    const { settled } = await paidPack(b, 4)
    const ledger = await rest('GET', '/credit-ledger?limit=100&depth=0', { auth: a.auth })
    expect(ledger.json.docs.map((d: { account: number }) => d.account)).toEqual([a.account.id])
    const payments = await rest('GET', '/payments?limit=100&depth=0', { auth: a.auth })
    expect(payments.json.docs.map((d: { account: number }) => d.account)).toEqual([a.account.id])
    expect((await rest('GET', `/payments/${settled.payment!.id}`, { auth: a.auth })).status).toBe(404)
    const g = await gql(`{ Payments(limit: 100) { docs { id account { id } } } CreditLedgers(limit: 100) { docs { id } } }`, { auth: a.auth })
    expect(g.json.data.Payments.docs.map((d: { account: { id: number } }) => d.account.id)).toEqual([a.account.id])
    expect(g.json.data.CreditLedgers.docs).toHaveLength(1)
  })
})

describe('subscriptions', () => {
  it('events twice or out of order end in the newest state; cancellation puts the account back on the default plan', async () => {
    const t = await createTenant(payload)
    const sub = uid('sub')
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 12, minutes))
    const periodEnd = new Date(Date.now() + 30 * 86_400_000)
    const base = { provider: 'stripe' as const, subscriptionId: sub, accountId: t.account.id, planCode: 'pro' }
    expect(await syncSubscription(payload, { ...base, status: 'active', currentPeriodEnd: periodEnd, eventCreatedAt: at(10) })).toEqual({ applied: true, plan: 'pro' })
    // The same event again, and an older one arriving late: nothing moves.
    expect((await syncSubscription(payload, { ...base, status: 'active', currentPeriodEnd: periodEnd, eventCreatedAt: at(10) })).applied).toBe(false)
    expect(await syncSubscription(payload, { ...base, status: 'canceled', currentPeriodEnd: null, eventCreatedAt: at(5) })).toEqual({ applied: false, plan: 'pro' })
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('pro')
    // past_due keeps the plan until the period ends.
    expect(await syncSubscription(payload, { ...base, status: 'past_due', currentPeriodEnd: periodEnd, eventCreatedAt: at(20) })).toEqual({ applied: true, plan: 'pro' })
    expect(await syncSubscription(payload, { ...base, status: 'canceled', currentPeriodEnd: periodEnd, eventCreatedAt: at(30) })).toEqual({ applied: true, plan: 'free' })
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('free')
  })

  it('a canceled subscription puts the account on the plan BILLING_DEFAULT_PLAN names, as new accounts get', async () => {
    process.env.BILLING_DEFAULT_PLAN = 'starter'
    reloadEnv()
    try {
      const t = await createTenant(payload)
      const base = { provider: 'stripe' as const, subscriptionId: uid('sub'), accountId: t.account.id, planCode: 'pro' }
      const periodEnd = new Date(Date.now() + 30 * 86_400_000)
      expect((await syncSubscription(payload, { ...base, status: 'active', currentPeriodEnd: periodEnd, eventCreatedAt: new Date(Date.now() - 60_000) })).plan).toBe('pro')
      expect(await syncSubscription(payload, { ...base, status: 'canceled', currentPeriodEnd: periodEnd, eventCreatedAt: new Date() })).toEqual({ applied: true, plan: 'starter' })
      expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('starter')
    } finally {
      delete process.env.BILLING_DEFAULT_PLAN
      reloadEnv()
    }
  })

  it('a paid plan sets the plan and grants its monthly credits once', async () => {
    const t = await createTenant(payload)
    const plan = (await payload.find({ collection: 'plans', where: { code: { equals: 'starter' } }, limit: 1 })).docs[0]!
    const providerPaymentId = uid('plan')
    const paid = { provider: 'stars' as const, providerPaymentId, chargeId: uid('ch'), amount: 250, currency: 'XTR' as const, paidAt: new Date(), accountId: t.account.id, product: { kind: 'plan' as const, code: 'starter' }, providerSubscriptionId: uid('tg-sub') }
    const first = await settlePayment(payload, paid)
    const second = await settlePayment(payload, paid)
    expect([first.applied, second.applied]).toEqual([true, false])
    expect(await balanceOf(payload, t.account.id)).toBe(plan.monthlyCredits)
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('starter')
  })
})

describe('the ledger in the database', () => {
  it('refuses to change or delete a row even in SQL; only a deleted account may be cleared from it', async () => {
    const t = await createTenant(payload)
    await grantCredits(payload, { accountId: t.account.id, credits: 9, reason: 'start', staffUserId: admin.user.id })
    const [row] = await ledgerOf(t.account.id)
    const db = payload.db.drizzle as unknown as { execute: (q: ReturnType<typeof sql>) => Promise<unknown> }
    const refusal = (q: ReturnType<typeof sql>) => db.execute(q).then(() => 'done', (e: Error & { cause?: Error }) => `${e.message} ${e.cause?.message}`)
    expect(await refusal(sql`update credit_ledger set credits = 900 where id = ${row!.id}`)).toContain('credit_ledger is append-only: rows are never changed')
    expect(await refusal(sql`delete from credit_ledger where id = ${row!.id}`)).toContain('credit_ledger is append-only: rows are never deleted')
    // The row delete itself (Payload's delete of an account with money records anonymises it instead:
    // tests/int/data-rights.int.spec.ts), as the foreign key's ON DELETE SET NULL meets the trigger.
    await payload.delete({ collection: 'projects', id: t.project.id })
    expect(await refusal(sql`delete from accounts where id = ${t.account.id}`)).toBe('done')
    const kept = await payload.findByID({ collection: 'credit-ledger', id: row!.id, depth: 0 })
    expect(kept).toMatchObject({ credits: 9, account: null })
  })
})

describe('the hourly billing sweep', () => {
  it('an ended plan period expires its unspent plan credits once and puts the account back on the default plan; pack credits stay', async () => {
    const t = await createTenant(payload)
    const monthly = (await payload.find({ collection: 'plans', where: { code: { equals: 'starter' } }, limit: 1 })).docs[0]!.monthlyCredits!
    await paidPack(t, 40)
    const day = 86_400_000
    const paid = await settlePayment(payload, {
      provider: 'stars', providerPaymentId: uid('plan'), chargeId: uid('ch'), amount: 250, currency: 'XTR', paidAt: new Date(Date.now() - 31 * day),
      accountId: t.account.id, product: { kind: 'plan', code: 'starter' }, providerSubscriptionId: uid('tg-sub'), periodEnd: new Date(Date.now() + 60_000),
    })
    expect(paid.credits).toBe(monthly)
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('starter')
    await spendCredits(payload, { accountId: t.account.id, credits: 15, reason: 'a generation', jobRef: uid('gen'), idempotencyKey: uid('s') })
    const later = new Date(Date.now() + 120_000)
    expect(await expireEndedPeriods(payload, later)).toBeGreaterThanOrEqual(1)
    expect(await expireEndedPeriods(payload, later)).toBe(0)
    const rows = await ledgerOf(t.account.id)
    expect(rows.filter((r) => r.kind === 'expiry').map((r) => r.credits)).toEqual([-(monthly - 15)])
    expect(await balanceOf(payload, t.account.id)).toBe(40)
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('free')
  })

  it('a full refund of a plan whose credits already expired takes none of the pack credits bought since', async () => {
    const { provider, refunds } = recordingProvider('stars', false)
    const restore = useProviderForTests(provider)
    try {
      const t = await createTenant(payload)
      const monthly = (await payload.find({ collection: 'plans', where: { code: { equals: 'starter' } }, limit: 1 })).docs[0]!.monthlyCredits!
      const day = 86_400_000
      const paid = await settlePayment(payload, {
        provider: 'stars', providerPaymentId: uid('plan'), chargeId: uid('ch'), amount: 250, currency: 'XTR', paidAt: new Date(Date.now() - 31 * day),
        accountId: t.account.id, product: { kind: 'plan', code: 'starter' }, providerSubscriptionId: uid('tg-sub'), periodEnd: new Date(Date.now() + 60_000),
      })
      expect(paid.credits).toBe(monthly)
      const spent = Math.min(200, Math.floor(monthly / 2))
      await spendCredits(payload, { accountId: t.account.id, credits: spent, reason: 'a generation', jobRef: uid('gen'), idempotencyKey: uid('s') })
      expect(await expireEndedPeriods(payload, new Date(Date.now() + 120_000))).toBeGreaterThanOrEqual(1)
      expect(await balanceOf(payload, t.account.id)).toBe(0)
      await paidPack(t, 500, 'stars')
      expect(await balanceOf(payload, t.account.id)).toBe(500)

      const result = await refundPayment(payload, { paymentId: paid.payment!.id, staffUserId: admin.user.id, reason: 'charged by mistake' })
      expect(result).toMatchObject({ applied: true, amount: 250, creditsReversed: 0 })
      expect(refunds).toHaveLength(1)
      expect(await balanceOf(payload, t.account.id)).toBe(500)
      expect((await payload.findByID({ collection: 'payments', id: paid.payment!.id, depth: 0 })).status).toBe('refunded')
    } finally {
      restore()
    }
  })

  it('a renewed plan: the ended period’s unspent credits expire, the new period’s stay, and the plan stays', async () => {
    const t = await createTenant(payload)
    const monthly = (await payload.find({ collection: 'plans', where: { code: { equals: 'starter' } }, limit: 1 })).docs[0]!.monthlyCredits!
    const day = 86_400_000
    const sub = uid('tg-sub')
    const pay = (paidAt: Date, periodEnd: Date) =>
      settlePayment(payload, { provider: 'stars', providerPaymentId: uid('plan'), chargeId: uid('ch'), amount: 250, currency: 'XTR', paidAt, accountId: t.account.id, product: { kind: 'plan', code: 'starter' }, providerSubscriptionId: sub, periodEnd })
    const endOfFirst = new Date(Date.now() + 60_000)
    await pay(new Date(Date.now() - 30 * day), endOfFirst)
    await spendCredits(payload, { accountId: t.account.id, credits: 25, reason: 'a generation', jobRef: uid('gen'), idempotencyKey: uid('s') })
    await pay(endOfFirst, new Date(endOfFirst.getTime() + 30 * day))
    expect(await balanceOf(payload, t.account.id)).toBe(2 * monthly - 25)
    await expireEndedPeriods(payload, new Date(Date.now() + 120_000))
    expect((await ledgerOf(t.account.id)).filter((r) => r.kind === 'expiry').map((r) => r.credits)).toEqual([-(monthly - 25)])
    expect(await balanceOf(payload, t.account.id)).toBe(monthly)
    expect((await payload.findByID({ collection: 'accounts', id: t.account.id })).plan).toBe('starter')
  })

  it('a generation hold nobody closed (its worker died in the last attempt) is given back once', async () => {
    const t = await createTenant(payload)
    await onPlanWithoutMonthlyCredits(payload, t.account.id)
    await grantCredits(payload, { accountId: t.account.id, credits: 50, reason: 'start', staffUserId: null })
    const jobRef = uid('article.generate:keyword')
    await reserveGeneration(payload, { accountId: t.account.id, kind: 'article', jobRef })
    expect(await balanceOf(payload, t.account.id)).toBe(50 - 23)
    expect(await refundAbandonedHolds(payload)).toBe(0)
    const later = new Date(Date.now() + ABANDONED_HOLD_MS + 60_000)
    expect(await refundAbandonedHolds(payload, later)).toBeGreaterThanOrEqual(1)
    expect(await refundAbandonedHolds(payload, later)).toBe(0)
    expect(await balanceOf(payload, t.account.id)).toBe(50)
  })
})

describe('attack fixes (AF1)', () => {
  it('staff never choose a ledger key; a key taken by another movement refuses the payment instead of reporting credits it did not write', async () => {
    const t = await createTenant(payload)
    const squat = `payment:yookassa:${uid('pay')}`
    const posted = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'grant', credits: 1, reason: 'x-squat', idempotencyKey: squat } })
    expect(posted.status).toBe(201)
    const viaGql = await gql(`mutation { createCreditLedger(data: { account: ${t.account.id}, kind: grant, credits: 1, reason: "y-squat", idempotencyKey: "${squat}-2" }) { id } }`, { auth: admin.auth })
    const rows = await ledgerOf(t.account.id)
    expect(rows.map((r) => r.idempotencyKey).every((k) => String(k).startsWith('manual:')), JSON.stringify(viaGql.json)).toBe(true)

    // A row that does hold a payment's key (written before this fix) is not a silent skip.
    const providerPaymentId = uid('pay')
    await grantCredits(payload, { accountId: t.account.id, credits: 1, reason: 'legacy squat', staffUserId: admin.user.id, idempotencyKey: `payment:yookassa:${providerPaymentId}` })
    const before = await balanceOf(payload, t.account.id)
    await createPendingPayment(payload, { provider: 'yookassa', providerPaymentId, accountId: t.account.id, product: { kind: 'pack', code: 'test-pack' }, amount: 49_000, currency: 'RUB', credits: 10_000 })
    await expect(settlePayment(payload, { provider: 'yookassa', providerPaymentId, chargeId: uid('charge'), amount: 49_000, currency: 'RUB', paidAt: new Date() })).rejects.toThrow(/already used by another movement/)
    const payment = (await payload.find({ collection: 'payments', where: { providerPaymentId: { equals: providerPaymentId } }, depth: 0 })).docs[0]!
    expect(payment.status).toBe('pending')
    expect(await balanceOf(payload, t.account.id)).toBe(before)
  })

  it('one entry moves at most 10^9 credits: larger or imprecise amounts are a translated 422 and the balance keeps working', async () => {
    const t = await createTenant(payload)
    for (const credits of [1e19, 9007199254740993, 1_000_000_001]) {
      const res = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'grant', credits, reason: 'huge grant' }, lang: 'ru' })
      expect(res.status).toBe(422)
      expect(res.json.errors[0].message).toBe('Одна запись меняет баланс не больше чем на 1000000000 кредитов в любую сторону.')
    }
    await expect(grantCredits(payload, { accountId: t.account.id, credits: 2e9, reason: 'huge grant', staffUserId: admin.user.id })).rejects.toMatchObject({ status: 422 })
    const ok = await rest('POST', '/credit-ledger', { auth: admin.auth, body: { account: t.account.id, kind: 'grant', credits: 1_000_000_000, reason: 'big grant' } })
    expect(ok.status).toBe(201)
    expect(await balanceOf(payload, t.account.id)).toBe(1_000_000_000)
  })

  it('a refund reason that is not well-formed text (lone surrogate, NUL) is a translated 422, the provider is not called', async () => {
    const { provider, refunds } = recordingProvider('yookassa', true)
    const restore = useProviderForTests(provider)
    try {
      const t = await createTenant(payload)
      const { settled } = await paidPack(t, 10)
      for (const reason of ['bad \ud800 reason', 'bad \udc00 reason']) {
        const res = await rest('POST', `/payments/${settled.payment!.id}/refund`, { auth: admin.auth, body: { reason }, lang: 'en' })
        expect(res.status, JSON.stringify(res.json)).toBe(422)
        expect(res.json.errors[0].data.code).toBe('billing.refund.invalid_body')
      }
      expect(refunds).toEqual([])
    } finally {
      restore()
    }
  })

  it('a price of 0, or a Stars plan above Telegram’s 10000 XTR, cannot be saved (translated)', async () => {
    const pack = await rest('POST', '/credit-packs', {
      auth: admin.auth,
      lang: 'ru',
      body: { code: uid('p').toLowerCase().slice(0, 30), name: { ru: 'Пакет', en: 'Pack' }, credits: 10, prices: [{ currency: 'RUB', amount: 0 }] },
    })
    expect(pack.status).toBe(400)
    expect(JSON.stringify(pack.json)).toContain('Цена — целое число больше 0.')
    const plan = (await payload.find({ collection: 'plans', limit: 1, depth: 0, sort: 'id' })).docs[0]!
    const dear = await rest('PATCH', `/plans/${plan.id}`, { auth: admin.auth, lang: 'en', body: { prices: [{ currency: 'XTR', amount: 20_000 }] } })
    expect(dear.status).toBe(400)
    expect(JSON.stringify(dear.json)).toContain('Telegram Stars subscriptions cost at most 10000 XTR.')
    expect((await payload.findByID({ collection: 'plans', id: plan.id, depth: 0 })).prices).toEqual(plan.prices)
  })

  it('a generation hold closed once (given back) is not closed again by a late settle: the same key never carries two movements', async () => {
    const t = await createTenant(payload)
    await grantCredits(payload, { accountId: t.account.id, credits: 50, reason: 'start', staffUserId: admin.user.id })
    const hold = await reserveGeneration(payload, { accountId: t.account.id, kind: 'post', jobRef: uid('gen') })
    expect(await refundGeneration(payload, { accountId: t.account.id, jobRef: hold!.jobRef })).toMatchObject({ refunded: hold!.reserved })
    const before = await balanceOf(payload, t.account.id)
    await expect(settleGeneration(payload, hold)).resolves.toEqual({ charged: 0 })
    expect(await balanceOf(payload, t.account.id)).toBe(before)
  })
})
