import Stripe from 'stripe'

import { env } from '../../lib/env'
import { paymentReturnUrl } from './returnUrl'
import {
  PaymentProviderError,
  type CheckoutInput,
  type CheckoutResult,
  type PaymentProvider,
  type ProviderFactory,
  type RefundInput,
  type RefundResult,
} from './types'

/**
 * Stripe (https://docs.stripe.com) through the `stripe` package: hosted Checkout Sessions for
 * plans (mode `subscription`, renewed by Stripe every month) and credit packs (mode `payment`),
 * the customer portal for managing a subscription, refunds on the payment intent, and stopping
 * renewal at the period's end. Every create carries an idempotency key made from our order or
 * refund id, so a retried request never opens a second session or refunds twice.
 *
 * What a payment means is decided by the billing core from the webhook (src/billing/stripeEvents.ts
 * via src/app/api/billing/stripe/route.ts), never from the redirect back to us.
 */

/** Checkout input plus the plan's or pack's Stripe price id (B1's catalogue `prices[].stripePriceId`), when staff set one. */
export type StripeCheckoutInput = CheckoutInput & { stripePriceId?: string | null }

/** The metadata every session, payment intent and subscription of ours carries. */
export type StripeOrderMetadata = { orderId: string; accountId: string; productKind: 'plan' | 'pack'; productCode: string }

let client: { key: string; base: string | undefined; stripe: Stripe } | undefined

/** One client per process (per key and base, which only tests change). */
export function stripeClient(): Stripe {
  const { STRIPE_SECRET_KEY, STRIPE_API_BASE, PUBLISH_HTTP_TIMEOUT_MS } = env()
  if (!STRIPE_SECRET_KEY) throw new PaymentProviderError('stripe', 'STRIPE_SECRET_KEY is not set', false)
  if (client?.key === STRIPE_SECRET_KEY && client.base === STRIPE_API_BASE) return client.stripe
  const base = STRIPE_API_BASE ? new URL(STRIPE_API_BASE) : undefined
  const stripe = new Stripe(STRIPE_SECRET_KEY, {
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
    // Idempotency keys make retries safe: the package retries a lost answer or a 5xx with the same key.
    maxNetworkRetries: 2,
    timeout: PUBLISH_HTTP_TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'Postforge' },
  })
  client = { key: STRIPE_SECRET_KEY, base: STRIPE_API_BASE, stripe }
  return stripe
}

/** A Stripe failure as the core's error: no answer, 429, 5xx and lock timeouts are worth retrying. */
export function stripeFailure(error: unknown, what: string): PaymentProviderError {
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0
    const retryable = error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError || status === 429 || status >= 500 || error.code === 'lock_timeout'
    return new PaymentProviderError('stripe', `${what}: ${status || 'no answer'} ${error.rawType ?? error.type}${error.code ? ` ${error.code}` : ''}: ${error.message}`, retryable)
  }
  return new PaymentProviderError('stripe', `${what}: ${(error as Error)?.message ?? String(error)}`, false)
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw stripeFailure(error, what)
  }
}

/** Stripe's `id` of an expandable field, whether it came as an id or as the object. */
export const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id)

function checkoutParams(input: StripeCheckoutInput): Stripe.Checkout.SessionCreateParams {
  const plan = input.product.kind === 'plan'
  const metadata: StripeOrderMetadata = {
    orderId: input.orderId,
    accountId: String(input.accountId),
    productKind: input.product.kind,
    productCode: input.product.code,
  }
  const returnUrl = paymentReturnUrl(input.returnUrl)
  const lineItem: Stripe.Checkout.SessionCreateParams.LineItem = input.stripePriceId
    ? { price: input.stripePriceId, quantity: 1 }
    : {
        quantity: 1,
        price_data: {
          currency: input.currency.toLowerCase(),
          unit_amount: input.amount,
          product_data: { name: input.title.slice(0, 250), ...(input.description ? { description: input.description.slice(0, 500) } : {}), metadata: { productKind: input.product.kind, productCode: input.product.code } },
          ...(plan ? { recurring: { interval: 'month', interval_count: 1 } } : {}),
        },
      }
  return {
    mode: plan ? 'subscription' : 'payment',
    line_items: [lineItem],
    client_reference_id: String(input.accountId),
    metadata,
    // Stripe charges exactly the amount and currency of our pending payment: Adaptive Pricing
    // would charge the customer's local currency, which the settlement refuses as a mismatch.
    adaptive_pricing: { enabled: false },
    // The subscription and the payment intent carry the same names, so their own events
    // (renewals, refunds made in Stripe's dashboard) lead back to the account and order.
    ...(plan ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
    ...(input.receipt?.email ? { customer_email: input.receipt.email } : {}),
    locale: input.language,
    success_url: returnUrl,
    cancel_url: returnUrl,
  }
}

export function createStripeProvider(stripe: Stripe): PaymentProvider {
  return {
    name: 'stripe',
    currencies: ['USD', 'EUR', 'RUB'],
    partialRefunds: true,
    subscriptions: true,

    async createCheckout(input: StripeCheckoutInput): Promise<CheckoutResult> {
      if (input.currency === 'XTR') throw new PaymentProviderError('stripe', 'Stripe does not charge Telegram Stars', false)
      const session = await call('checkout.sessions.create', () =>
        stripe.checkout.sessions.create(checkoutParams(input), { idempotencyKey: `pf-checkout-${input.orderId}` }),
      )
      if (!session.url) throw new PaymentProviderError('stripe', `checkout session ${session.id} has no URL`, false)
      return { providerPaymentId: session.id, url: session.url, metadata: { mode: session.mode, expiresAt: session.expires_at } }
    },

    async refund({ payment, amount, idempotencyKey, reason }: RefundInput): Promise<RefundResult> {
      const paymentIntent = payment.providerChargeId ?? (await paymentIntentOf(stripe, payment.providerPaymentId))
      if (!paymentIntent) throw new PaymentProviderError('stripe', `payment ${payment.id} has no Stripe payment intent: nothing was charged`, false)
      let refund: Stripe.Refund
      try {
        refund = await stripe.refunds.create(
          { payment_intent: paymentIntent, amount, reason: 'requested_by_customer', metadata: { paymentId: String(payment.id), accountId: String(payment.accountId), note: reason.slice(0, 500) } },
          { idempotencyKey: `pf-refund-${idempotencyKey}` },
        )
      } catch (error) {
        // The charge is refunded already: an earlier try went through at Stripe but our record of
        // it was rolled back, and the idempotency key has expired (24 h). The money is back with
        // the customer either way (as Stars' CHARGE_ALREADY_REFUNDED).
        if (error instanceof Stripe.errors.StripeError && error.code === 'charge_already_refunded') {
          return { providerRefundId: `already_refunded:${paymentIntent}`, status: 'succeeded' }
        }
        throw stripeFailure(error, 'refunds.create')
      }
      if (refund.status === 'failed' || refund.status === 'canceled') {
        throw new PaymentProviderError('stripe', `refund ${refund.id} ${refund.status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`, false)
      }
      return { providerRefundId: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : 'pending' }
    },

    async cancelSubscription({ providerSubscriptionId }) {
      // Renewal stops; the customer keeps what they paid for until the period ends, and Stripe
      // then sends customer.subscription.deleted.
      await call('subscriptions.update', () => stripe.subscriptions.update(providerSubscriptionId, { cancel_at_period_end: true }))
    },

    async endSubscriptionNow({ providerSubscriptionId }) {
      // A full refund: no more invoices. Stripe then sends customer.subscription.deleted, which
      // finds the period already ended.
      try {
        await stripe.subscriptions.cancel(providerSubscriptionId, { prorate: false, invoice_now: false }, { idempotencyKey: `pf-cancel-${providerSubscriptionId}` })
      } catch (error) {
        // Canceled already (by the customer in the portal, or an earlier try): that is what we want.
        const current = await stripe.subscriptions.retrieve(providerSubscriptionId).catch(() => null)
        if (current?.status === 'canceled' || current?.status === 'incomplete_expired') return
        throw stripeFailure(error, 'subscriptions.cancel')
      }
    },

    async manageUrl({ providerCustomerId, returnUrl }) {
      const portal = await call('billingPortal.sessions.create', () =>
        stripe.billingPortal.sessions.create({ customer: providerCustomerId, return_url: paymentReturnUrl(returnUrl) }),
      )
      return portal.url
    },
  }
}

/**
 * The payment intent behind a Checkout Session (a pack's, or a plan's first invoice), for a
 * refund of a payment whose webhook did not record it.
 */
async function paymentIntentOf(stripe: Stripe, sessionId: string): Promise<string | null> {
  if (!sessionId.startsWith('cs_')) return null
  const session = await call('checkout.sessions.retrieve', () => stripe.checkout.sessions.retrieve(sessionId))
  const direct = idOf(session.payment_intent)
  if (direct) return direct
  const invoiceId = idOf(session.invoice)
  if (!invoiceId) return null
  return invoicePaymentIntent(await call('invoices.retrieve', () => stripe.invoices.retrieve(invoiceId, { expand: ['payments'] })))
}

/** The payment intent that paid an invoice (API versions since 2025-03-31 list it under `payments`, returned only when expanded). */
export function invoicePaymentIntent(invoice: Stripe.Invoice): string | null {
  for (const entry of invoice.payments?.data ?? []) {
    if (entry.payment.type === 'payment_intent' && entry.status === 'paid') return idOf(entry.payment.payment_intent ?? null)
  }
  return null
}

/** Stripe is on when its secret key is set; webhooks also need STRIPE_WEBHOOK_SECRET. */
export const stripeProvider: ProviderFactory = {
  name: 'stripe',
  configured: () => Boolean(env().STRIPE_SECRET_KEY),
  create: () => createStripeProvider(stripeClient()),
}
