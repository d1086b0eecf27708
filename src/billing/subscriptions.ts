import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { logger } from '../lib/logger'
import type { Subscription } from '../payload-types'
import { defaultPlanCode, type SubscriptionStatus } from './config'
import { appendEntry, balanceOf, inBillingTransaction, lockAccount, type BillingTx } from './ledger'
import { expireMonthlyPlanCredits } from './planCredits'
import type { ProviderName } from './providers/types'

export type SyncSubscriptionInput = {
  provider: ProviderName
  subscriptionId: string
  accountId: number
  planCode: string
  status: SubscriptionStatus
  /** The end of the period paid for (null: unknown, e.g. canceled before the first payment). */
  currentPeriodEnd: Date | null
  cancelAtPeriodEnd?: boolean
  /** When the provider created the event (Stripe's `event.created`): older events never win. */
  eventCreatedAt: Date
}

export type SyncResult = { applied: boolean; plan: string }

/**
 * Brings a provider subscription and the account's plan up to date with an event, in one
 * transaction. Safe when events come twice or out of order: an event created before the newest
 * one applied (or equally old but for an earlier period) changes nothing. The account's plan is
 * then the plan of its newest active or past_due subscription whose period has not ended (past_due
 * keeps the plan until the period ends: the provider is still retrying the card), else the default
 * plan.
 */
export async function syncSubscription(payload: Payload, input: SyncSubscriptionInput, tx?: BillingTx): Promise<SyncResult> {
  const work = async (t: BillingTx) => {
    await lockAccount(t.db, input.accountId)
    const applied = await writeSubscription(t, input, { keepNewerPeriod: false })
    const plan = await recomputeAccountPlan(t, input.accountId)
    return { applied, plan }
  }
  return tx ? work(tx) : inBillingTransaction(payload, work)
}

/**
 * A paid plan period (from `settlePayment`): the subscription is active until `currentPeriodEnd`
 * (never shortened by a late payment for an earlier period), and the account's plan follows.
 */
/** A period bought by a one-off payment (no provider subscription: `payment:<payment id>`): it does not renew. */
export function isOneOffPeriod(providerSubscriptionId: string | null | undefined): boolean {
  return Boolean(providerSubscriptionId?.startsWith('payment:'))
}

export async function activateSubscriptionPeriod(
  t: BillingTx,
  input: { provider: ProviderName; providerSubscriptionId: string; accountId: number; planCode: string; currentPeriodEnd: Date; eventCreatedAt: Date },
): Promise<void> {
  await lockAccount(t.db, input.accountId)
  await writeSubscription(
    t,
    {
      provider: input.provider,
      subscriptionId: input.providerSubscriptionId,
      accountId: input.accountId,
      planCode: input.planCode,
      status: 'active',
      currentPeriodEnd: input.currentPeriodEnd,
      eventCreatedAt: input.eventCreatedAt,
      // BF2b: a one-off payment's period (YooKassa, `payment:<id>`) never renews by itself.
      ...(isOneOffPeriod(input.providerSubscriptionId) ? { cancelAtPeriodEnd: true } : {}),
    },
    { keepNewerPeriod: true },
  )
  await recomputeAccountPlan(t, input.accountId)
}

/** A provider's subscription as we keep it, read on the billing transaction. */
export async function subscriptionRow(t: BillingTx, provider: ProviderName, subscriptionId: string): Promise<Subscription | null> {
  const { docs } = await t.req.payload.find({
    collection: 'subscriptions',
    where: { and: [{ provider: { equals: provider } }, { providerSubscriptionId: { equals: subscriptionId } }] },
    limit: 1,
    depth: 0,
    pagination: false,
    req: t.req,
  })
  return docs[0] ?? null
}

const time = (value: string | null | undefined) => (value ? new Date(value).getTime() : -Infinity)

async function writeSubscription(t: BillingTx, input: SyncSubscriptionInput, options: { keepNewerPeriod: boolean }): Promise<boolean> {
  const existing = await subscriptionRow(t, input.provider, input.subscriptionId)
  const periodEnd = input.currentPeriodEnd?.toISOString() ?? null
  if (existing) {
    const lastEvent = time(existing.lastEventAt)
    const incoming = input.eventCreatedAt.getTime()
    const olderEvent = incoming < lastEvent
    const samePeriodOrOlder = incoming === lastEvent && time(periodEnd) <= time(existing.currentPeriodEnd) && existing.status === input.status
    // An ended subscription stays ended: a cancellation after ours (Stripe's
    // customer.subscription.deleted after a full refund canceled it) changes nothing.
    const endedAgain = existing.status === 'canceled' && input.status === 'canceled'
    if (olderEvent || samePeriodOrOlder || endedAgain) return false
    const keepPeriod = options.keepNewerPeriod && time(existing.currentPeriodEnd) > time(periodEnd)
    await t.req.payload.update({
      collection: 'subscriptions',
      id: existing.id,
      depth: 0,
      req: t.req,
      data: {
        planCode: input.planCode,
        status: input.status,
        currentPeriodEnd: keepPeriod ? existing.currentPeriodEnd : periodEnd,
        cancelAtPeriodEnd: input.cancelAtPeriodEnd ?? existing.cancelAtPeriodEnd,
        lastEventAt: input.eventCreatedAt.toISOString(),
        // A new period's credits expire at its own end.
        creditsExpiredAt: time(periodEnd) > time(existing.currentPeriodEnd) ? null : existing.creditsExpiredAt,
      },
    })
    return true
  }
  await t.req.payload.create({
    collection: 'subscriptions',
    depth: 0,
    req: t.req,
    data: {
      account: input.accountId,
      provider: input.provider,
      providerSubscriptionId: input.subscriptionId,
      planCode: input.planCode,
      status: input.status,
      currentPeriodEnd: periodEnd,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd ?? false,
      lastEventAt: input.eventCreatedAt.toISOString(),
    },
  })
  return true
}

/** Sets the account's plan from its subscriptions (see `syncSubscription`); returns the plan. */
export async function recomputeAccountPlan(t: BillingTx, accountId: number, now = new Date()): Promise<string> {
  const { docs } = await t.req.payload.find({
    collection: 'subscriptions',
    where: {
      and: [{ account: { equals: accountId } }, { status: { in: ['active', 'past_due'] } }, { currentPeriodEnd: { greater_than: now.toISOString() } }],
    },
    sort: '-lastEventAt',
    limit: 1,
    depth: 0,
    pagination: false,
    req: t.req,
  })
  const plan = docs[0]?.planCode ?? (await defaultPlanCode(t.req.payload, t.req))
  const account = await t.req.payload.findByID({ collection: 'accounts', id: accountId, depth: 0, req: t.req })
  if (String(account.plan) !== plan) {
    await t.req.payload.update({ collection: 'accounts', id: accountId, depth: 0, req: t.req, data: { plan: plan as never } })
    logger().info({ accountId, from: account.plan, to: plan }, 'account plan changed by billing')
  }
  return plan
}

/**
 * Ends what has run out, for the crontab (`billing.sweep`), in two steps:
 *
 * 1. Plan credits expire with their period: for every plan payment whose paid period ended, an
 *    `expiry` row takes back what the period granted minus what generations spent during it (at
 *    most the balance; credits bought in packs never expire). Once per payment.
 * 2. Every subscription whose period ended gets its account's plan recomputed: back to the
 *    default plan unless another subscription is active. Once per ended period.
 * 3. Monthly credits of a plan nobody pays for expire with their calendar month
 *    (`expireMonthlyPlanCredits`, src/billing/planCredits.ts).
 *
 * Returns how many payments and subscriptions were closed.
 */
export async function expireEndedPeriods(payload: Payload, now = new Date()): Promise<number> {
  const drizzle = payload.db.drizzle as unknown as Parameters<typeof lockAccount>[0]
  const { rows: ended } = await drizzle.execute(sql`
    select id, account_id, paid_at, metadata->>'periodEnd' as period_end,
           coalesce(credits, 0) - coalesce((metadata->>'reversedCredits')::bigint, 0) as granted
      from payments
     where product_kind = 'plan' and status in ('succeeded', 'partially_refunded') and account_id is not null
       and metadata->>'periodEnd' is not null and (metadata->>'periodEnd')::timestamptz <= ${now.toISOString()}
       and metadata->>'creditsExpiredAt' is null
     order by id limit 500`)
  let closed = 0
  for (const row of ended as { id: number; account_id: number; paid_at: string; period_end: string; granted: string }[]) {
    try {
      await inBillingTransaction(payload, async (t) => {
        const accountId = Number(row.account_id)
        await lockAccount(t.db, accountId)
        const spent = await t.db.execute(sql`
          select coalesce(-sum(credits), 0)::bigint as spent from credit_ledger
           where account_id = ${accountId} and job_ref is not null and created_at >= ${row.paid_at} and created_at < ${row.period_end}`)
        const balance = await balanceOf(payload, accountId, t.db)
        const left = Math.min(balance, Math.max(0, Number(row.granted) - Number(spent.rows[0]?.spent ?? 0)))
        if (left > 0) {
          await appendEntry(
            t.db,
            { accountId, kind: 'expiry', credits: -left, reason: `plan credits of the period ended ${row.period_end}, not spent`, paymentId: Number(row.id), idempotencyKey: `expiry:${row.id}` },
            balance,
          )
        }
        await t.db.execute(sql`update payments set metadata = metadata || ${JSON.stringify({ creditsExpiredAt: now.toISOString() })}::jsonb, updated_at = now() where id = ${row.id}`)
      })
      closed += 1
    } catch (error) {
      logger().error({ paymentId: row.id, err: (error as Error).message }, 'could not expire the credits of an ended plan period')
    }
  }
  const { docs } = await payload.find({
    collection: 'subscriptions',
    where: { and: [{ currentPeriodEnd: { less_than_equal: now.toISOString() } }, { creditsExpiredAt: { exists: false } }] },
    limit: 500,
    depth: 0,
    pagination: false,
  })
  for (const subscription of docs) {
    try {
      await inBillingTransaction(payload, async (t) => {
        const accountId = Number(subscription.account)
        await lockAccount(t.db, accountId)
        await t.req.payload.update({ collection: 'subscriptions', id: subscription.id, depth: 0, req: t.req, data: { creditsExpiredAt: now.toISOString() } })
        await recomputeAccountPlan(t, accountId, now)
      })
      closed += 1
    } catch (error) {
      logger().error({ subscriptionId: subscription.id, err: (error as Error).message }, 'could not close an ended plan period')
    }
  }
  // Monthly credits of plans nobody pays for (the free plan) expire with their calendar month.
  closed += await expireMonthlyPlanCredits(payload, now)
  return closed
}
