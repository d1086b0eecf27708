import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { balanceOf } from '../../src/billing/ledger'
import { settlePayment } from '../../src/billing/payments'
import { expireMonthlyPlanCredits, grantMonthlyPlanCredits } from '../../src/billing/planCredits'
import { requestGeneration } from '../../src/content/generation'
import { reloadEnv } from '../../src/lib/env'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

/**
 * Monthly credits of a plan nobody pays for (the free plan, or a plan staff set by hand): with
 * billing on, a customer on the free plan can generate, gets the plan's credits once per calendar
 * month in their own zone, and what is left expires when that month ends.
 */
let payload: Payload
const savedEnv = { ...process.env }
let seq = 0
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`

beforeAll(async () => {
  process.env.BILLING_ENABLED = 'true'
  reloadEnv()
  payload = await testPayload()
})
afterAll(() => {
  process.env = savedEnv
  reloadEnv()
})

const ledgerOf = async (accountId: number) =>
  (await payload.find({ collection: 'credit-ledger', where: { account: { equals: accountId } }, sort: 'id', limit: 100, depth: 0, pagination: false })).docs

async function freePlanCredits(): Promise<number> {
  return (await payload.find({ collection: 'plans', where: { code: { equals: 'free' } }, limit: 1, depth: 0 })).docs[0]!.monthlyCredits!
}

describe('monthly credits of the free plan', () => {
  it('the free plan is seeded with 100 credits a month', async () => {
    expect(await freePlanCredits()).toBe(100)
  })

  it('a free customer with billing on can order a generation: the month’s credits are granted once, however many orders arrive at once', async () => {
    const t = await createTenant(payload, { name: `Free ${uid('t')}` })
    expect(t.account.plan).toBe('free')
    const keywords = await Promise.all(
      Array.from({ length: 3 }, (_, i) => payload.create({ collection: 'keywords', data: { phrase: `бесплатно ${i} ${uid('k')}`, project: t.project.id } as never })),
    )
    const outcomes = await Promise.all(keywords.map((k) => requestGeneration(payload, t.account, { kind: 'post', keywordId: k.id })))
    // Three orders (the free plan's day), each queued: none refused for credits.
    expect(outcomes.map((o) => ('limited' in o ? 'limited' : o.alreadyQueued))).toEqual([false, false, false])
    const rows = await ledgerOf(t.account.id)
    expect(rows.map((r) => [r.kind, r.credits])).toEqual([['grant', 100]])
    expect(rows[0]!.reason).toContain('monthly credits of plan free')
    expect(await balanceOf(payload, t.account.id)).toBe(100)
    // Asked again in the same month: nothing more.
    expect((await grantMonthlyPlanCredits(payload, t.account.id)).granted).toBe(0)
  })

  it('a customer with a paid period running gets the plan’s credits with the payment, not the monthly grant', async () => {
    const t = await createTenant(payload, { name: `Paid ${uid('t')}` })
    const paid = await settlePayment(payload, {
      provider: 'stars', providerPaymentId: uid('plan'), chargeId: uid('ch'), amount: 250, currency: 'XTR', paidAt: new Date(),
      accountId: t.account.id, product: { kind: 'plan', code: 'starter' }, providerSubscriptionId: uid('tg-sub'),
    })
    expect(await grantMonthlyPlanCredits(payload, t.account.id)).toMatchObject({ granted: 0 })
    expect(await balanceOf(payload, t.account.id)).toBe(paid.credits)
  })

  it('a plan staff set by hand, without a payment, gives its monthly credits', async () => {
    const t = await createTenant(payload, { name: `Staff-set ${uid('t')}` })
    await payload.update({ collection: 'accounts', id: t.account.id, data: { plan: 'pro' } })
    const pro = (await payload.find({ collection: 'plans', where: { code: { equals: 'pro' } }, limit: 1, depth: 0 })).docs[0]!
    expect(await grantMonthlyPlanCredits(payload, t.account.id)).toMatchObject({ granted: pro.monthlyCredits })
  })

  it('months are the customer’s calendar months, and what is left of a month’s credits expires when it ends there, once', async () => {
    const t = await createTenant(payload, { name: `Tokyo ${uid('t')}` })
    await payload.update({ collection: 'accounts', id: t.account.id, data: { timezone: 'Asia/Tokyo' } })
    // 23:30 on 30 September in Tokyo, then 00:30 on 1 October there: two months, two grants.
    expect(await grantMonthlyPlanCredits(payload, t.account.id, { now: new Date('2026-09-30T14:30:00Z') })).toEqual({ granted: 100, month: '2026-09' })
    expect(await grantMonthlyPlanCredits(payload, t.account.id, { now: new Date('2026-09-30T15:30:00Z') })).toEqual({ granted: 100, month: '2026-10' })
    expect(await grantMonthlyPlanCredits(payload, t.account.id, { now: new Date('2026-10-20T00:00:00Z') })).toEqual({ granted: 0, month: '2026-10' })
    expect(await balanceOf(payload, t.account.id)).toBe(200)

    // One minute before October ends in Tokyo (15:00 UTC on the 31st): only September's expire.
    await expireMonthlyPlanCredits(payload, new Date('2026-10-31T14:59:00Z'))
    expect((await ledgerOf(t.account.id)).filter((r) => r.kind === 'expiry').map((r) => r.credits)).toEqual([-100])
    await expireMonthlyPlanCredits(payload, new Date('2026-10-31T15:00:00Z'))
    await expireMonthlyPlanCredits(payload, new Date('2026-10-31T16:00:00Z'))
    expect((await ledgerOf(t.account.id)).filter((r) => r.kind === 'expiry').map((r) => r.credits)).toEqual([-100, -100])
    expect(await balanceOf(payload, t.account.id)).toBe(0)
  })

  it('with billing off nothing is granted', async () => {
    process.env.BILLING_ENABLED = 'false'
    reloadEnv()
    try {
      const t = await createTenant(payload, { name: `Off ${uid('t')}` })
      expect(await grantMonthlyPlanCredits(payload, t.account.id)).toEqual({ granted: 0, month: null })
      expect(await ledgerOf(t.account.id)).toEqual([])
    } finally {
      process.env.BILLING_ENABLED = 'true'
      reloadEnv()
    }
  })

  it('BF2b: a paid period that just ended, before the hourly sweep moves the plan back, gives no free month of the paid plan', async () => {
    const t = await createTenant(payload, { name: `Lapsed ${uid('t')}` })
    const paidAt = new Date(Date.now() - 30 * 86_400_000)
    const periodEnd = new Date(Date.now() - 5 * 60_000)
    const paid = await settlePayment(payload, {
      provider: 'stars', providerPaymentId: uid('plan'), chargeId: uid('ch'), amount: 1000, currency: 'XTR', paidAt, periodEnd,
      accountId: t.account.id, product: { kind: 'plan', code: 'pro' }, providerSubscriptionId: uid('tg-sub'),
    })
    // During the period the account was on pro; the period ended minutes ago and the hourly sweep
    // has not run: the account still shows the paid plan.
    await payload.update({ collection: 'accounts', id: t.account.id, data: { plan: 'pro' } })
    const account = await payload.findByID({ collection: 'accounts', id: t.account.id, depth: 0 })
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: `после оплаты ${uid('k')}`, project: t.project.id } as never })
    await requestGeneration(payload, account, { kind: 'post', keywordId: keyword.id }).catch(() => undefined)
    expect((await ledgerOf(t.account.id)).filter((r) => r.kind === 'grant')).toEqual([])
    expect(await balanceOf(payload, t.account.id)).toBe(paid.credits)
  })
})
