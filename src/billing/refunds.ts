import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { logger } from '../lib/logger'
import { reportError } from '../lib/telemetry'
import type { Payment } from '../payload-types'
import { defaultPlanCode } from './config'
import { appendEntry, balanceOf, inBillingTransaction, lockAccount } from './ledger'
import { formatMoney } from './money' // AF1: amounts in reasons as money
import { lockPayment } from './payments'
import { refundingProviderFor } from './providers'
import { PaymentProviderError, type Currency, type ProviderName, type ReceiptContact } from './providers/types'
import { recomputeAccountPlan, subscriptionRow } from './subscriptions'

export type RefundPaymentInput = {
  paymentId: number
  /** Minor units; default: everything not yet refunded. */
  amount?: number
  staffUserId: number | null
  reason: string
  language?: string | null
}

export type RefundPaymentResult = {
  applied: boolean
  payment: Payment
  /** Minor units given back by this call. */
  amount: number
  /** Credits taken back from the balance by this call (≥ 0). */
  creditsReversed: number
  /** Credits the refund should have taken back but the account had already spent (≥ 0). */
  creditsShort: number
  providerRefundId: string | null
}

/**
 * Gives money back through the payment's provider and reverses what it bought, in one
 * transaction that holds the payment (so two clicks refund once):
 *
 * 1. checks the payment is succeeded or partially refunded and `amount` fits what is left (a
 *    provider without partial refunds, Stars, refunds only the whole payment);
 * 2. calls `provider.refund` with a key stable for this request (`refund:<id>:<refunded so far>:
 *    <amount>`), so a retry after a crash between the provider's answer and our commit is the
 *    same refund at the provider, not a second one;
 * 3. appends a `refund` row taking back the payment's credits in proportion to the money
 *    returned. The balance never goes below zero through a refund: it takes what is there, and
 *    credits already spent are written in the row's reason (`creditsShort`); the money is
 *    returned anyway (staff decided);
 * 4. marks the payment `refunded` or `partially_refunded`; a fully refunded plan payment ends its
 *    subscription now, at the provider (`endSubscriptionNow`: Stripe cancels it, so nothing renews
 *    it) and here (the period ends, the account's plan is recomputed, usually back to the default).
 *    A partial refund of a plan leaves the plan and its renewal alone.
 *
 * Idempotent: a payment with nothing left to refund answers `applied: false` without calling
 * the provider.
 */
export async function refundPayment(payload: Payload, input: RefundPaymentInput): Promise<RefundPaymentResult> {
  const reason = input.reason.trim()
  if (reason.length < 3) throw new AppError('billing.ledger.reason_required', 422, input.language)
  return inBillingTransaction(payload, async (t) => {
    const first = await payload.findByID({ collection: 'payments', id: input.paymentId, depth: 0, disableErrors: true, req: t.req })
    if (!first) throw new AppError('billing.refund.not_found', 404, input.language)
    await lockPayment(t.db, first.provider as ProviderName, first.providerPaymentId)
    const payment = await payload.findByID({ collection: 'payments', id: input.paymentId, depth: 0, req: t.req })
    const refunded = payment.refundedAmount ?? 0
    const left = payment.amount - refunded
    const none = { applied: false, payment, amount: 0, creditsReversed: 0, creditsShort: 0, providerRefundId: null }
    if (payment.status === 'refunded' || (payment.status === 'partially_refunded' && left <= 0)) {
      if (input.amount === undefined) return none
      throw new AppError('billing.refund.nothing_left', 409, input.language)
    }
    if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded') throw new AppError('billing.refund.not_paid', 409, input.language)
    const amount = input.amount ?? left
    if (!Number.isInteger(amount) || amount <= 0 || amount > left) throw new AppError('billing.refund.amount_invalid', 422, input.language, { left })
    const provider = refundingProviderFor(payment.provider as ProviderName)
    if (!provider) throw new AppError('billing.refund.provider_unavailable', 503, input.language, { provider: payment.provider })
    if (amount !== payment.amount && !provider.partialRefunds) throw new AppError('billing.refund.partial_unsupported', 422, input.language, { provider: payment.provider })
    const accountId = Number(payment.account)
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, req: t.req })

    let providerRefundId: string
    try {
      const result = await provider.refund({
        payment: {
          id: payment.id,
          providerPaymentId: payment.providerPaymentId,
          providerChargeId: payment.providerChargeId ?? null,
          amount: payment.amount,
          refundedAmount: refunded,
          currency: payment.currency as Currency,
          accountId,
          telegramId: account.telegramId,
          metadata: (payment.metadata as Record<string, unknown> | null) ?? null,
          // 54-FZ: a partial YooKassa refund brings a refund receipt to the contact the payment was
          // made with (else the one the account keeps now).
          receipt: receiptContactOf(payment.receipt) ?? receiptContactOf(account.receiptContact),
        },
        amount,
        idempotencyKey: `refund:${payment.id}:${refunded}:${amount}`,
        reason,
      })
      providerRefundId = result.providerRefundId
    } catch (error) {
      if (error instanceof PaymentProviderError) {
        logger().warn({ paymentId: payment.id, provider: payment.provider, err: error.message }, 'the provider refused a refund')
        throw new AppError('billing.refund.provider_failed', 502, input.language, { provider: payment.provider })
      }
      throw error
    }
    // A plan refunded in full ends now, at the provider too: otherwise its next renewal would
    // charge the customer again and bring the plan back. (A partial refund keeps the plan and its
    // renewal: the customer got part of the money back, not their subscription ended.) The money is
    // back with the customer already: a failure here must not roll back our record of it (a retry
    // would meet a refunded charge). The plan ends here anyway; staff cancel at the provider.
    if (amount === left && payment.product?.kind === 'plan' && payment.providerSubscriptionId && provider.endSubscriptionNow) {
      try {
        await provider.endSubscriptionNow({ providerSubscriptionId: payment.providerSubscriptionId, accountId, telegramId: account.telegramId })
      } catch (error) {
        const ref = reportError(error, { tags: { area: 'billing', step: 'refund_end_subscription', payment_id: payment.id, provider: payment.provider }, accountId })
        logger().error(
          { paymentId: payment.id, provider: payment.provider, providerSubscriptionId: payment.providerSubscriptionId, ref, err: (error as Error)?.message },
          'a refunded plan could not be canceled at the provider: the refund is recorded and the plan ends here; cancel the subscription at the provider by hand',
        )
      }
    }

    const totalRefunded = refunded + amount
    const credits = payment.credits ?? 0
    // Credits earlier refunds of this payment took back or found already spent (kept on the payment).
    const reversedBefore = Number((payment.metadata as { reversedCredits?: number } | null)?.reversedCredits ?? 0)
    const target = totalRefunded >= payment.amount ? credits : Math.floor((credits * totalRefunded) / payment.amount)
    await lockAccount(t.db, accountId)
    // A plan payment whose period the sweep closed (expireEndedPeriods: `expiry:<paymentId>`) has
    // no credits left: what was not spent expired. Taking them back again would take the
    // customer's other credits (a pack bought since).
    const expiredRows = await t.db.execute(sql`select coalesce(-sum(credits), 0)::bigint as expired from credit_ledger where kind = 'expiry' and idempotency_key = ${`expiry:${payment.id}`}`)
    const expired = Number((expiredRows.rows[0] as { expired?: string | number } | undefined)?.expired ?? 0)
    const closed = expired > 0 || Boolean((payment.metadata as { creditsExpiredAt?: string } | null)?.creditsExpiredAt)
    const owed = Math.max(0, target - reversedBefore)
    const due = closed ? 0 : owed
    const balance = await balanceOf(payload, accountId, t.db)
    const taken = Math.min(due, Math.max(0, balance))
    const short = closed ? Math.max(0, owed - expired) : due - taken
    const noteShort = closed
      ? `; the payment's credits ended with its period (${Math.min(expired, owed)} expired${short > 0 ? `, ${short} spent` : ''}): none taken back`
      : short > 0
        ? `; ${short} of ${due} credits were already spent and stay spent`
        : ''
    await appendEntry(
      t.db,
      {
        accountId,
        kind: 'refund',
        credits: -taken,
        reason: `refund of payment ${payment.id} (${formatMoney(amount, payment.currency)}${totalRefunded >= payment.amount ? ', full' : ''}): ${reason}${noteShort}`,
        staffUserId: input.staffUserId,
        paymentId: payment.id,
        idempotencyKey: `refund:${payment.id}:${refunded}:${amount}`,
      },
      balance,
    )
    const full = totalRefunded >= payment.amount
    const updated = await payload.update({
      collection: 'payments',
      id: payment.id,
      depth: 0,
      req: t.req,
      data: {
        status: full ? 'refunded' : 'partially_refunded',
        refundedAmount: totalRefunded,
        refundedAt: new Date().toISOString(),
        metadata: { ...((payment.metadata as Record<string, unknown> | null) ?? {}), lastRefundId: providerRefundId, reversedCredits: reversedBefore + owed },
      },
    })
    if (full && payment.product?.kind === 'plan') {
      // A one-off plan payment (YooKassa, a Stars payment without a subscription) has its period
      // under `payment:<id>` (settlePayment).
      await endPeriodNow(t, payment.provider as ProviderName, payment.providerSubscriptionId ?? `payment:${payment.id}`)
      const plan = await recomputeAccountPlan(t, accountId)
      logger().info({ paymentId: payment.id, accountId, plan, defaultPlan: await defaultPlanCode(payload, t.req) }, 'plan payment refunded: period ended')
    }
    return { applied: true, payment: updated, amount, creditsReversed: taken, creditsShort: short, providerRefundId }
  })
}

function receiptContactOf(value: { email?: string | null; phone?: string | null } | null | undefined): ReceiptContact | null {
  if (value?.email) return { email: value.email }
  if (value?.phone) return { phone: value.phone }
  return null
}

async function endPeriodNow(t: Parameters<typeof recomputeAccountPlan>[0], provider: ProviderName, subscriptionId: string) {
  const row = await subscriptionRow(t, provider, subscriptionId)
  if (row) {
    await t.req.payload.update({ collection: 'subscriptions', id: row.id, depth: 0, req: t.req, data: { status: 'canceled', currentPeriodEnd: new Date().toISOString() } })
  }
}
