import { randomUUID } from 'node:crypto'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import type { DrizzleLike } from '../jobs/addJob'
import { logger } from '../lib/logger'
import { reportError } from '../lib/telemetry'
import type { Payment } from '../payload-types'
import { packCredits, planMonthlyCredits, stripePriceIdOf } from './config'
import { appendEntry, balanceOf, inBillingTransaction, lockAccount, type BillingTx } from './ledger'
import { formatMoney } from './money' // AF1: amounts in reasons as money
import { providerFor } from './providers'
import { PaymentProviderError, type Currency, type ProductRef, type ProviderName, type ReceiptContact } from './providers/types'
import { activateSubscriptionPeriod } from './subscriptions'

/** A plan bought without a provider subscription (a one-off Stars or YooKassa payment) lasts this long. */
export const PLAN_PERIOD_DAYS = 30

type Metadata = Record<string, string | number | boolean | null>

export type PendingPaymentInput = {
  provider: ProviderName
  providerPaymentId: string
  accountId: number
  product: ProductRef
  /** Minor units (kopecks, cents, whole stars). */
  amount: number
  currency: Currency
  /** Credits the checkout promised (a pack's credits at the price shown); 0/absent: read at settlement. */
  credits?: number
  providerSubscriptionId?: string
  receipt?: ReceiptContact
  metadata?: Metadata
}

/** Serialises everything done to one provider payment id (its pending row, settlement, refunds). */
async function lockPayment(db: DrizzleLike, provider: ProviderName, providerPaymentId: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`payment:${provider}:${providerPaymentId}`}))`)
}

async function paymentRow(tx: BillingTx, provider: ProviderName, providerPaymentId: string): Promise<Payment | null> {
  const { docs } = await tx.req.payload.find({
    collection: 'payments',
    where: { and: [{ provider: { equals: provider } }, { providerPaymentId: { equals: providerPaymentId } }] },
    limit: 1,
    depth: 0,
    pagination: false,
    req: tx.req,
  })
  return docs[0] ?? null
}

/** The payment by its provider id (a system read), or null. */
export async function findPayment(payload: Payload, provider: ProviderName, providerPaymentId: string): Promise<Payment | null> {
  const { docs } = await payload.find({
    collection: 'payments',
    where: { and: [{ provider: { equals: provider } }, { providerPaymentId: { equals: providerPaymentId } }] },
    limit: 1,
    depth: 0,
    pagination: false,
  })
  return docs[0] ?? null
}

/**
 * Records a payment the customer was just sent to pay, as `pending`. Idempotent by
 * (provider, providerPaymentId): asking again returns the row already there, unchanged.
 */
export async function createPendingPayment(payload: Payload, input: PendingPaymentInput, tx?: BillingTx): Promise<Payment> {
  const work = async (t: BillingTx) => {
    await lockPayment(t.db, input.provider, input.providerPaymentId)
    const existing = await paymentRow(t, input.provider, input.providerPaymentId)
    if (existing) return existing
    return t.req.payload.create({
      collection: 'payments',
      depth: 0,
      req: t.req,
      data: {
        provider: input.provider,
        providerPaymentId: input.providerPaymentId,
        providerSubscriptionId: input.providerSubscriptionId,
        account: input.accountId,
        product: input.product,
        amount: input.amount,
        currency: input.currency,
        status: 'pending',
        refundedAmount: 0,
        credits: input.credits ?? 0,
        receipt: input.receipt,
        metadata: input.metadata,
      },
    })
  }
  return tx ? work(tx) : inBillingTransaction(payload, work)
}

export type StartCheckoutInput = {
  provider: ProviderName
  accountId: number
  product: ProductRef
  amount: number
  currency: Currency
  credits?: number
  title: string
  description: string
  receipt?: ReceiptContact
  returnUrl?: string
}

/**
 * Opens a payment at the provider and records it as pending: the one path from "Buy" to a link.
 * The order id (a fresh UUID) is the provider's idempotency key. Throws PaymentProviderError when
 * the provider is not configured or refuses.
 */
export async function startCheckout(payload: Payload, input: StartCheckoutInput): Promise<{ payment: Payment; url: string }> {
  const provider = providerFor(input.provider)
  if (!provider) throw new PaymentProviderError(input.provider, `${input.provider} is not configured`, false)
  const account = await payload.findByID({ collection: 'accounts', id: input.accountId, depth: 0 })
  const orderId = randomUUID()
  // A Stripe price staff set in the catalogue for this product and currency is what Stripe charges.
  const stripePriceId = input.provider === 'stripe' ? await stripePriceIdOf(payload, input.product, input.currency) : null
  const checkout = await provider.createCheckout({
    orderId,
    accountId: input.accountId,
    telegramId: account.telegramId,
    language: account.language === 'en' ? 'en' : 'ru',
    product: input.product,
    amount: input.amount,
    currency: input.currency,
    title: input.title,
    description: input.description,
    receipt: input.receipt,
    returnUrl: input.returnUrl,
    ...(stripePriceId ? { stripePriceId } : {}),
  })
  const payment = await createPendingPayment(payload, {
    provider: input.provider,
    providerPaymentId: checkout.providerPaymentId,
    accountId: input.accountId,
    product: input.product,
    amount: input.amount,
    currency: input.currency,
    credits: input.credits,
    receipt: input.receipt,
    metadata: { orderId, ...checkout.metadata },
  })
  return { payment, url: checkout.url }
}

export type SettleInput = {
  provider: ProviderName
  providerPaymentId: string
  /** telegram_payment_charge_id (Stars), the Stripe payment intent; unique across payments. */
  chargeId?: string | null
  /** What the provider says was paid: must match the pending row. */
  amount: number
  currency: Currency
  paidAt: Date
  /**
   * For a payment with no pending row (a Stars subscription renewal, a webhook that beat the
   * checkout's own write): whose it is and what was bought. Without them an unknown payment
   * credits nothing.
   */
  accountId?: number
  product?: ProductRef
  credits?: number
  providerSubscriptionId?: string
  /** The end of the paid plan period (the provider's); default paidAt + 30 days. */
  periodEnd?: Date
  metadata?: Metadata
}

export type SettleResult = {
  applied: boolean
  /** Why nothing was applied. */
  reason?: 'unknown_payment' | 'already_settled' | 'mismatch'
  payment: Payment | null
  /** Credits put on the ledger by this call. */
  credits: number
}

/**
 * Marks a payment succeeded exactly once and gives what was bought, all in one transaction: a
 * pack puts its credits on the ledger (`purchase`); a plan sets the account's plan for the period
 * (a subscription row when the provider has one) and grants the plan's monthly credits. A second
 * call for the same payment (a duplicate webhook or update) changes nothing (`applied: false`).
 * An amount or currency other than the pending row's applies nothing and is logged for staff.
 */
export async function settlePayment(payload: Payload, input: SettleInput, tx?: BillingTx): Promise<SettleResult> {
  const work = async (t: BillingTx): Promise<SettleResult> => {
    await lockPayment(t.db, input.provider, input.providerPaymentId)
    let payment = await paymentRow(t, input.provider, input.providerPaymentId)
    if (!payment) {
      if (input.accountId === undefined || !input.product) return { applied: false, reason: 'unknown_payment', payment: null, credits: 0 }
      payment = await createPendingPayment(
        payload,
        {
          provider: input.provider,
          providerPaymentId: input.providerPaymentId,
          accountId: input.accountId,
          product: input.product,
          amount: input.amount,
          currency: input.currency,
          credits: input.credits,
          providerSubscriptionId: input.providerSubscriptionId,
          metadata: input.metadata,
        },
        t,
      )
    }
    if (payment.status !== 'pending' && payment.status !== 'waiting_for_capture' && payment.status !== 'canceled') {
      return { applied: false, reason: 'already_settled', payment, credits: 0 }
    }
    if (payment.amount !== input.amount || payment.currency !== input.currency) {
      // The customer was charged and got nothing: staff must see it (an error report, not only a log line).
      const ref = reportError(new Error(`payment ${payment.id} settled with ${input.amount} ${input.currency}, opened with ${payment.amount} ${payment.currency}`), {
        tags: { area: 'billing', step: 'settle_mismatch', payment_id: payment.id, provider: input.provider },
        accountId: Number(payment.account),
      })
      logger().error(
        { paymentId: payment.id, provider: input.provider, expected: [payment.amount, payment.currency], got: [input.amount, input.currency], ref },
        'a payment settled with another amount or currency than it was opened with: nothing credited; the customer was charged: refund or credit by hand',
      )
      return { applied: false, reason: 'mismatch', payment, credits: 0 }
    }
    const accountId = Number(payment.account)
    const product = payment.product as ProductRef
    const credits =
      product.kind === 'plan'
        ? await planMonthlyCredits(payload, product.code, t.req)
        : (payment.credits ?? 0) > 0
          ? payment.credits!
          : ((await packCredits(payload, product.code, t.req)) ?? 0)
    if (product.kind === 'pack' && credits === 0) logger().error({ paymentId: payment.id, pack: product.code }, 'a paid pack gives no credits: grant them by hand')
    const subscriptionId = input.providerSubscriptionId ?? payment.providerSubscriptionId ?? undefined
    const periodEnd = product.kind === 'plan' ? (input.periodEnd ?? new Date(input.paidAt.getTime() + PLAN_PERIOD_DAYS * 86_400_000)) : null
    // A plan payment keeps the end of the period it paid for: its credits expire then (billing.sweep).
    const metadata = { ...((payment.metadata as Metadata | null) ?? {}), ...input.metadata, ...(periodEnd ? { periodEnd: periodEnd.toISOString() } : {}) }
    const updated = await t.req.payload.update({
      collection: 'payments',
      id: payment.id,
      depth: 0,
      req: t.req,
      data: {
        status: 'succeeded',
        providerChargeId: input.chargeId ?? payment.providerChargeId,
        providerSubscriptionId: subscriptionId,
        paidAt: input.paidAt.toISOString(),
        credits,
        metadata,
      },
    })
    await lockAccount(t.db, accountId)
    if (credits > 0) {
      const balance = await balanceOf(payload, accountId, t.db)
      await appendEntry(
        t.db,
        {
          accountId,
          kind: 'purchase',
          credits,
          reason: `${product.kind} ${product.code} (${input.provider}, ${formatMoney(payment.amount, payment.currency)})`,
          paymentId: payment.id,
          idempotencyKey: `payment:${input.provider}:${input.providerPaymentId}`,
        },
        balance,
      )
    }
    if (periodEnd) {
      await activateSubscriptionPeriod(t, {
        provider: input.provider,
        providerSubscriptionId: subscriptionId ?? `payment:${payment.id}`,
        accountId,
        planCode: product.code,
        currentPeriodEnd: periodEnd,
        eventCreatedAt: input.paidAt,
      })
    }
    return { applied: true, payment: updated, credits }
  }
  return tx ? work(tx) : inBillingTransaction(payload, work)
}

/**
 * Moves a not-yet-paid payment along what the provider reports (YooKassa's
 * `waiting_for_capture`, a `canceled` payment or expired checkout). Never moves a succeeded or
 * refunded payment back; answers whether anything changed.
 */
export async function markPaymentStatus(
  payload: Payload,
  input: { provider: ProviderName; providerPaymentId: string; status: 'pending' | 'waiting_for_capture' | 'canceled' },
  tx?: BillingTx,
): Promise<{ applied: boolean; payment: Payment | null }> {
  const work = async (t: BillingTx) => {
    await lockPayment(t.db, input.provider, input.providerPaymentId)
    const payment = await paymentRow(t, input.provider, input.providerPaymentId)
    if (!payment || input.status === 'pending' || (payment.status !== 'pending' && payment.status !== 'waiting_for_capture') || payment.status === input.status) {
      return { applied: false, payment }
    }
    const updated = await t.req.payload.update({ collection: 'payments', id: payment.id, depth: 0, req: t.req, data: { status: input.status } })
    return { applied: true, payment: updated }
  }
  return tx ? work(tx) : inBillingTransaction(payload, work)
}

export { lockPayment }
