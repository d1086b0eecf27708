import type { Payload } from 'payload'

import { logger } from '../lib/logger'
import type { Account, Subscription } from '../payload-types'
import { processOnce } from './events'
import { balanceOf } from './ledger'
import { findOffer } from './offers'
import { findPayment, settlePayment } from './payments'
import { providerFor } from './providers'
import { parseStarsPayload, type StarsOrder, type StarsProvider } from './providers/stars'
import { syncSubscription } from './subscriptions'

/**
 * What the bot does with Telegram Stars payments, apart from talking to Telegram: re-checking an
 * order before Telegram takes the stars (`pre_checkout_query`), crediting a `successful_payment`
 * exactly once (keyed by its `telegram_payment_charge_id`; a subscription renewal is a new charge
 * of the same invoice), and stopping or resuming a Stars subscription's renewal.
 */

/** Why a pre-checkout is refused; each is a text key `billing.pc_<reason>` shown by Telegram. */
export type PreCheckoutRefusal = 'invalid' | 'account' | 'inactive' | 'price_changed'

export type PreCheckoutVerdict = { ok: true; order: StarsOrder; account: Account } | { ok: false; reason: PreCheckoutRefusal; account: Account | null }

async function accountByTelegramId(payload: Payload, telegramId: number): Promise<Account | null> {
  const { docs } = await payload.find({ collection: 'accounts', where: { telegramId: { equals: telegramId } }, limit: 1, depth: 0, pagination: false })
  return docs[0] ?? null
}

/**
 * Re-validates an order as Telegram is about to charge it: the payload is one of ours and names a
 * pending order of this Telegram user's account, the account is active, the product is still on
 * sale and costs in stars exactly what the invoice says (the catalogue's price now, and the
 * order's), in XTR.
 */
export async function checkStarsOrder(
  payload: Payload,
  query: { invoicePayload: string; currency: string; totalAmount: number; telegramId: number },
): Promise<PreCheckoutVerdict> {
  const account = await accountByTelegramId(payload, query.telegramId)
  const order = parseStarsPayload(query.invoicePayload)
  if (!order || !account || order.accountId !== account.id) return { ok: false, reason: 'invalid', account }
  if (account.status !== 'active') return { ok: false, reason: 'account', account }
  const payment = await findPayment(payload, 'stars', order.orderId)
  if (!payment || payment.status !== 'pending' || Number(payment.account) !== account.id || payment.product?.code !== order.product.code)
    return { ok: false, reason: 'invalid', account }
  const offer = await findOffer(payload, order.product)
  if (!offer || !offer.active) return { ok: false, reason: 'inactive', account }
  const price = offer.prices.find((p) => p.currency === 'XTR')?.amount
  if (query.currency !== 'XTR' || payment.currency !== 'XTR' || price !== query.totalAmount || payment.amount !== query.totalAmount)
    return { ok: false, reason: 'price_changed', account }
  return { ok: true, order, account }
}

/** Telegram's `successful_payment`, the fields we read. */
export type StarsPayment = {
  currency: string
  total_amount: number
  invoice_payload: string
  telegram_payment_charge_id: string
  subscription_expiration_date?: number
  is_recurring?: boolean
  is_first_recurring?: boolean
}

export type StarsSettlement =
  | {
      applied: boolean
      kind: 'pack' | 'plan' | 'renewal'
      account: Account
      planCode: string | null
      credits: number
      balance: number
      periodEnd: Date | null
      /** Why nothing was credited: 'duplicate' = this charge was processed before; the others took the stars for nothing (/paysupport). */
      notCredited?: 'duplicate' | 'unknown_payment' | 'already_settled' | 'mismatch'
    }
  | { applied: false; kind: 'unknown'; account: Account | null }

/**
 * Credits a Stars payment once. The charge id is the key: a second delivery of the same update
 * (Telegram retries after a 5xx, or sends it twice) finds it processed and changes nothing. The
 * first payment settles the pending order; each renewal of a subscription (is_recurring, not the
 * first) is a payment of its own (`<order id>/<charge id>`) for the same plan, extending the
 * period to `subscription_expiration_date`. A payload that is not ours, or an account other than
 * the payer's, credits nothing and is logged for staff (the stars were taken: /paysupport).
 */
export async function settleStarsPayment(payload: Payload, paid: StarsPayment, telegramId: number, now = new Date()): Promise<StarsSettlement> {
  const account = await accountByTelegramId(payload, telegramId)
  const order = parseStarsPayload(paid.invoice_payload)
  const log = logger().child({ provider: 'stars', charge: paid.telegram_payment_charge_id })
  if (!order || !account || order.accountId !== account.id) {
    log.error({ telegramId, account: account?.id, order }, 'a Stars payment for an order that is not this user’s: nothing credited, refund or credit by hand')
    return { applied: false, kind: 'unknown', account }
  }
  const renewal = Boolean(paid.is_recurring && !paid.is_first_recurring)
  const chargeId = paid.telegram_payment_charge_id
  const periodEnd = paid.subscription_expiration_date ? new Date(paid.subscription_expiration_date * 1000) : null
  const original = renewal ? await findPayment(payload, 'stars', order.orderId) : null
  const result = await processOnce(payload, { provider: 'stars', eventId: chargeId, type: renewal ? 'subscription_renewal' : 'successful_payment' }, async (tx) => {
    const subscriptionId = original?.providerSubscriptionId ?? original?.providerChargeId ?? chargeId
    const settled = await settlePayment(
      payload,
      {
        provider: 'stars',
        providerPaymentId: renewal ? `${order.orderId}/${chargeId}` : order.orderId,
        chargeId,
        amount: paid.total_amount,
        currency: 'XTR',
        paidAt: now,
        ...(order.product.kind === 'plan'
          ? {
              // The subscription is known by its first charge (what editUserStarSubscription takes).
              providerSubscriptionId: subscriptionId,
              ...(periodEnd ? { periodEnd } : {}),
            }
          : {}),
        // The payer's Telegram user id is kept on the payment (a payment record detail, kept as
        // long as the payment): a refund needs it after the account is deleted and anonymised.
        metadata: { payerTelegramId: telegramId, ...(renewal ? { orderId: order.orderId, renewal: true, starsSubscriptionId: subscriptionId } : {}) },
        ...(renewal ? { accountId: account.id, product: order.product } : {}),
      },
      tx,
    )
    return { outcome: settled.applied ? 'applied' : `ignored: ${settled.reason}`, value: settled }
  })
  if (result.applied && !result.value.applied) log.error({ reason: result.value.reason, order }, 'a Stars payment was not credited')
  const balance = await balanceOf(payload, account.id)
  return {
    applied: result.applied && result.value.applied,
    kind: renewal ? 'renewal' : order.product.kind,
    account,
    planCode: order.product.kind === 'plan' ? order.product.code : null,
    credits: result.applied && result.value.applied ? result.value.credits : 0,
    balance,
    periodEnd,
    ...(!result.applied ? { notCredited: 'duplicate' as const } : !result.value.applied ? { notCredited: result.value.reason ?? 'unknown_payment' } : {}),
  }
}

/** The account's current paid subscription (active or past due, period not over), newest first. */
export async function currentSubscription(payload: Payload, account: Account, now = new Date()): Promise<Subscription | null> {
  const { docs } = await payload.find({
    collection: 'subscriptions',
    where: { and: [{ account: { equals: account.id } }, { status: { in: ['active', 'past_due'] } }, { currentPeriodEnd: { greater_than: now.toISOString() } }] },
    sort: '-currentPeriodEnd',
    limit: 1,
    depth: 0,
    pagination: false,
    user: { ...account, collection: 'accounts' },
    overrideAccess: false,
  })
  return docs[0] ?? null
}

/**
 * Stops (or resumes) the renewal of the account's Stars subscription: Telegram first
 * (`editUserStarSubscription`), then our row (`cancelAtPeriodEnd`); the plan stays until the
 * paid period ends either way. Null when the account has no Stars subscription.
 */
export async function setStarsRenewal(payload: Payload, account: Account, canceled: boolean, now = new Date()): Promise<Subscription | null> {
  const subscription = await currentSubscription(payload, account, now)
  if (!subscription || subscription.provider !== 'stars') return null
  const provider = providerFor('stars') as StarsProvider | null
  if (!provider) return null
  await provider.setSubscriptionCanceled({ telegramId: account.telegramId, chargeId: subscription.providerSubscriptionId, canceled })
  await syncSubscription(payload, {
    provider: 'stars',
    subscriptionId: subscription.providerSubscriptionId,
    accountId: account.id,
    planCode: subscription.planCode,
    status: subscription.status as 'active' | 'past_due',
    currentPeriodEnd: subscription.currentPeriodEnd ? new Date(subscription.currentPeriodEnd) : null,
    cancelAtPeriodEnd: canceled,
    eventCreatedAt: now,
  })
  return { ...subscription, cancelAtPeriodEnd: canceled }
}
