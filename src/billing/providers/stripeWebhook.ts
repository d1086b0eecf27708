import type { Payload } from 'payload'
import Stripe from 'stripe'

import { logger } from '../../lib/logger'
import type { SubscriptionStatus } from '../config'
import { processOnce } from '../events'
import { lockPayment, markPaymentStatus, settlePayment } from '../payments'
import { syncSubscription } from '../subscriptions'
import { idOf, invoicePaymentIntent, stripeFailure } from './stripe'
import { CURRENCIES, type Currency, type ProductRef } from './types'
import { processedOutcome } from './webhookEvents'

/**
 * What Stripe's webhook does to our books. Only the events below are acted on (anything else
 * Stripe sends, even signed, is acknowledged and ignored). Each event is applied once by its id
 * (`processOnce`), and what it says is re-read from the API first (the session, the
 * subscription), so a delivery that arrives late or twice applies today's state, and
 * `syncSubscription` ignores an event older than the newest one applied:
 *
 * - checkout.session.completed / async_payment_succeeded: a paid pack credits the ledger; a paid
 *   plan starts its subscription period (the payment intent and customer are kept for refunds
 *   and the customer portal).
 * - checkout.session.expired: the pending payment becomes canceled.
 * - invoice.paid (renewals; the first invoice is the session's): the next period, paid.
 * - invoice.payment_failed, customer.subscription.created/updated/deleted: the subscription's
 *   status (active, past_due, canceled) and period, and with it the account's plan.
 * - charge.refunded: refunds are made from our admin (`refundPayment`), which records them; one
 *   made in Stripe's dashboard is reported to staff in the log, not guessed into the ledger.
 */
export const STRIPE_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.expired',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'charge.refunded',
] as const

export type StripeWebhookResult = { handled: boolean; applied: boolean; outcome: string | null }

const log = () => logger().child({ provider: 'stripe' })

/** Stripe's subscription statuses as ours: trialing counts as active; unpaid, paused and the ended ones as canceled. */
export function subscriptionStatusOf(status: Stripe.Subscription.Status): SubscriptionStatus | null {
  switch (status) {
    case 'active':
    case 'trialing':
      return 'active'
    case 'past_due':
      return 'past_due'
    case 'canceled':
    case 'unpaid':
    case 'incomplete_expired':
    case 'paused':
      return 'canceled'
    default:
      // `incomplete`: the first payment has not gone through; nothing to give or take yet.
      return null
  }
}

function currencyOf(value: string | null | undefined): Currency | null {
  const upper = (value ?? '').toUpperCase()
  return (CURRENCIES as readonly string[]).includes(upper) ? (upper as Currency) : null
}

/** Whose order and what product, from the metadata we set on the session, intent or subscription. */
function orderOf(metadata: Stripe.Metadata | null | undefined): { accountId: number; product: ProductRef } | null {
  const accountId = Number(metadata?.accountId)
  const kind = metadata?.productKind
  const code = metadata?.productCode
  if (!Number.isInteger(accountId) || accountId <= 0 || (kind !== 'plan' && kind !== 'pack') || !code) return null
  return { accountId, product: { kind, code } }
}

async function accountExists(payload: Payload, id: number): Promise<boolean> {
  return Boolean(await payload.findByID({ collection: 'accounts', id, depth: 0, disableErrors: true }))
}

/** The end of the subscription's paid period (on its items since API version 2025-03-31). */
function periodEndOf(subscription: Stripe.Subscription): Date | null {
  const ends = subscription.items.data.map((item) => item.current_period_end).filter((end) => typeof end === 'number')
  return ends.length ? new Date(Math.max(...ends) * 1000) : null
}

async function read<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw stripeFailure(error, what)
  }
}

/**
 * Applies one verified event. Throws when Stripe could not be read or the database failed (the
 * route answers 500 and Stripe delivers again); everything else ends in an outcome.
 */
export async function applyStripeEvent(payload: Payload, stripe: Stripe, event: Stripe.Event): Promise<StripeWebhookResult> {
  if (!(STRIPE_EVENTS as readonly string[]).includes(event.type)) return { handled: false, applied: false, outcome: null }
  // A repeat is answered from our own record, without asking Stripe again (processOnce still
  // decides when two copies race).
  const seen = await processedOutcome(payload, 'stripe', event.id)
  if (seen !== null) return { handled: true, applied: false, outcome: seen }
  const once = async (fn: Parameters<typeof processOnce>[2]) => {
    const result = await processOnce(payload, { provider: 'stripe', eventId: event.id, type: event.type }, fn)
    return { handled: true, applied: result.applied, outcome: result.outcome }
  }
  const eventAt = new Date(event.created * 1000)

  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = await read('checkout.sessions.retrieve', () => stripe.checkout.sessions.retrieve(event.data.object.id))
      const order = orderOf(session.metadata)
      const currency = currencyOf(session.currency)
      if (session.payment_status !== 'paid') return once(async () => `ignored: session ${session.payment_status}`)
      if (!order || !currency || session.client_reference_id !== String(order.accountId)) return once(async () => 'ignored: not our order')
      if (!(await accountExists(payload, order.accountId))) return once(async () => 'ignored: unknown account')
      const customerId = idOf(session.customer)
      if (session.mode === 'subscription') {
        const subscriptionId = idOf(session.subscription)
        if (!subscriptionId) return once(async () => 'ignored: no subscription')
        const subscription = await read('subscriptions.retrieve', () => stripe.subscriptions.retrieve(subscriptionId))
        const invoiceId = idOf(session.invoice)
        const invoice = invoiceId ? await read('invoices.retrieve', () => stripe.invoices.retrieve(invoiceId, { expand: ['payments'] })) : null
        return once(async (tx) => {
          const settled = await settlePayment(
            payload,
            {
              provider: 'stripe',
              providerPaymentId: session.id,
              chargeId: invoice ? invoicePaymentIntent(invoice) : null,
              amount: session.amount_total ?? 0,
              currency,
              paidAt: eventAt,
              accountId: order.accountId,
              product: order.product,
              providerSubscriptionId: subscription.id,
              periodEnd: periodEndOf(subscription) ?? undefined,
              metadata: { customerId },
            },
            tx,
          )
          // The subscription may already be past due or canceled by the time this is read.
          const status = subscriptionStatusOf(subscription.status)
          if (status && status !== 'active') {
            await syncSubscription(payload, { provider: 'stripe', subscriptionId: subscription.id, accountId: order.accountId, planCode: order.product.code, status, currentPeriodEnd: periodEndOf(subscription), cancelAtPeriodEnd: subscription.cancel_at_period_end, eventCreatedAt: eventAt }, tx)
          }
          return settled.applied ? `applied: plan ${order.product.code}` : `ignored: ${settled.reason}`
        })
      }
      const paymentIntent = idOf(session.payment_intent)
      return once(async (tx) => {
        const settled = await settlePayment(
          payload,
          {
            provider: 'stripe',
            providerPaymentId: session.id,
            chargeId: paymentIntent,
            amount: session.amount_total ?? 0,
            currency,
            paidAt: eventAt,
            accountId: order.accountId,
            product: order.product,
            metadata: { customerId },
          },
          tx,
        )
        return settled.applied ? `applied: ${settled.credits} credits` : `ignored: ${settled.reason}`
      })
    }

    case 'checkout.session.expired': {
      const sessionId = event.data.object.id
      return once(async (tx) => {
        const marked = await markPaymentStatus(payload, { provider: 'stripe', providerPaymentId: sessionId, status: 'canceled' }, tx)
        return marked.applied ? 'applied: canceled' : 'ignored: not pending'
      })
    }

    case 'invoice.paid': {
      const subscriptionId = idOf(event.data.object.parent?.subscription_details?.subscription)
      // The first invoice of a subscription is paid through its Checkout Session (handled above).
      if (!subscriptionId || event.data.object.billing_reason === 'subscription_create') return once(async () => 'ignored: not a renewal')
      const invoice = await read('invoices.retrieve', () => stripe.invoices.retrieve(event.data.object.id!, { expand: ['payments'] }))
      const subscription = await read('subscriptions.retrieve', () => stripe.subscriptions.retrieve(subscriptionId))
      const order = orderOf(subscription.metadata)
      const currency = currencyOf(invoice.currency)
      if (invoice.status !== 'paid') return once(async () => `ignored: invoice ${invoice.status}`)
      if (!order || !currency || order.product.kind !== 'plan') return once(async () => 'ignored: not our subscription')
      if (!(await accountExists(payload, order.accountId))) return once(async () => 'ignored: unknown account')
      return once(async (tx) => {
        const settled = await settlePayment(
          payload,
          {
            provider: 'stripe',
            providerPaymentId: invoice.id!,
            chargeId: invoicePaymentIntent(invoice),
            amount: invoice.amount_paid,
            currency,
            paidAt: eventAt,
            accountId: order.accountId,
            product: order.product,
            providerSubscriptionId: subscription.id,
            periodEnd: periodEndOf(subscription) ?? undefined,
            metadata: { customerId: idOf(invoice.customer) },
          },
          tx,
        )
        return settled.applied ? `applied: renewal of ${order.product.code}` : `ignored: ${settled.reason}`
      })
    }

    case 'invoice.payment_failed':
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscriptionId =
        event.type === 'invoice.payment_failed' ? idOf(event.data.object.parent?.subscription_details?.subscription) : event.data.object.id
      if (!subscriptionId) return once(async () => 'ignored: no subscription')
      // Today's state, whatever order the events came in.
      const subscription = await read('subscriptions.retrieve', () => stripe.subscriptions.retrieve(subscriptionId))
      const order = orderOf(subscription.metadata)
      const status = subscriptionStatusOf(subscription.status)
      if (!order || order.product.kind !== 'plan') return once(async () => 'ignored: not our subscription')
      if (!status) return once(async () => `ignored: subscription ${subscription.status}`)
      if (!(await accountExists(payload, order.accountId))) return once(async () => 'ignored: unknown account')
      return once(async (tx) => {
        const synced = await syncSubscription(
          payload,
          {
            provider: 'stripe',
            subscriptionId: subscription.id,
            accountId: order.accountId,
            planCode: order.product.code,
            status,
            currentPeriodEnd: periodEndOf(subscription),
            cancelAtPeriodEnd: subscription.cancel_at_period_end,
            eventCreatedAt: eventAt,
          },
          tx,
        )
        return synced.applied ? `applied: ${status}, plan ${synced.plan}` : `ignored: older than the state applied (plan ${synced.plan})`
      })
    }

    case 'charge.refunded': {
      const charge = event.data.object
      const paymentIntent = idOf(charge.payment_intent)
      return once(async (tx) => {
        const found = paymentIntent ? await paymentByIntent(payload, paymentIntent) : null
        if (!found) return 'ignored: unknown payment'
        // Our own refund (refundPayment) may still hold the payment with its transaction open:
        // wait for it and read what it recorded, so it is not reported as made outside Postforge.
        await lockPayment(tx.db, 'stripe', found.providerPaymentId)
        const payment = await payload.findByID({ collection: 'payments', id: found.id, depth: 0, req: tx.req })
        if ((payment.refundedAmount ?? 0) >= charge.amount_refunded) return 'ignored: refund already recorded'
        log().warn(
          { paymentId: payment.id, refundedHere: payment.refundedAmount ?? 0, refundedAtStripe: charge.amount_refunded },
          "a Stripe charge was refunded outside Postforge: the payment and the ledger were not changed; take the credits back with an adjustment in the admin",
        )
        return 'needs staff: refunded outside Postforge'
      })
    }
  }
  return { handled: false, applied: false, outcome: null }
}

async function paymentByIntent(payload: Payload, paymentIntent: string) {
  const { docs } = await payload.find({ collection: 'payments', where: { and: [{ provider: { equals: 'stripe' } }, { providerChargeId: { equals: paymentIntent } }] }, limit: 1, depth: 0, pagination: false })
  return docs[0] ?? null
}
