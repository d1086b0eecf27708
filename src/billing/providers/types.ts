/**
 * The one interface every payment provider implements (Telegram Stars, YooKassa, Stripe), so the
 * money core (src/billing: payments, ledger, refunds, subscriptions) never knows which one it
 * talks to. A provider only speaks to its platform; what a payment *means* (credits, a plan) is
 * decided by the core: a provider's webhook or bot handler calls `settlePayment`,
 * `syncSubscription` and friends (src/billing/payments.ts, subscriptions.ts) inside
 * `processOnce` (src/billing/events.ts) with the ids the platform gave.
 *
 * Amounts are always integers in the currency's minor units: kopecks for RUB, cents for
 * USD/EUR, whole stars for XTR (Stars have no fraction).
 */

export const PROVIDER_NAMES = ['stars', 'yookassa', 'stripe'] as const
export type ProviderName = (typeof PROVIDER_NAMES)[number]

export const CURRENCIES = ['XTR', 'RUB', 'USD', 'EUR'] as const
export type Currency = (typeof CURRENCIES)[number]

/** What is bought: a plan (monthly subscription) or a credit pack, by its code in B1's catalogue. */
export type ProductRef = { kind: 'plan' | 'pack'; code: string }

/** 54-FZ receipt contact (YooKassa needs one of them for a receipt); others ignore it. */
export type ReceiptContact = { email?: string; phone?: string }

export type CheckoutInput = {
  /**
   * Our order id (a UUID made by `startCheckout`): the provider's idempotency key (YooKassa's
   * `Idempotence-Key`, Stripe's `idempotencyKey`) and its metadata `orderId`, and for Stars the
   * invoice `payload`. Asking twice with the same id must not create two payments.
   */
  orderId: string
  accountId: number
  /** The account's Telegram user id (Stars invoices, refunds). */
  telegramId: number
  language: 'ru' | 'en'
  product: ProductRef
  /** Minor units, see the module comment. */
  amount: number
  currency: Currency
  /** Shown to the customer on the invoice / checkout page (already translated). */
  title: string
  description: string
  receipt?: ReceiptContact
  /** Where a web checkout sends the customer back (Stripe success/cancel, YooKassa return_url). */
  returnUrl?: string
  /** Stripe only: the product's Stripe price id staff set in the catalogue (charged instead of an inline price). */
  stripePriceId?: string | null
}

export type CheckoutResult = {
  /**
   * The platform's id of this payment, stored as `payments.providerPaymentId` (YooKassa's payment
   * id, Stripe's Checkout Session id, for Stars the `orderId` itself, i.e. the invoice payload).
   */
  providerPaymentId: string
  /** What the customer opens to pay: a YooKassa confirmation URL, a Stripe Checkout URL, a Stars invoice link. */
  url: string
  /** Non-secret bits worth keeping on the payment row (e.g. the Stripe customer id). */
  metadata?: Record<string, string | number | boolean | null>
}

/** The payment being refunded, as stored (what a provider needs to find it on its side). */
export type RefundablePayment = {
  id: number
  providerPaymentId: string
  /** telegram_payment_charge_id for Stars; Stripe's payment intent / charge id; YooKassa: unset. */
  providerChargeId: string | null
  amount: number
  refundedAmount: number
  currency: Currency
  accountId: number
  telegramId: number
  metadata: Record<string, unknown> | null
  /**
   * The 54-FZ receipt contact the payment was made with (YooKassa: a partial refund must bring a
   * refund receipt to it); null when the payment had none.
   */
  receipt?: ReceiptContact | null
}

export type RefundInput = {
  payment: RefundablePayment
  /** Minor units to give back now (≤ amount − refundedAmount). */
  amount: number
  /** Stable per refund request: providers pass it as their idempotency key. */
  idempotencyKey: string
  reason: string
}

export type RefundResult = {
  /** The platform's refund id (Stars has none: the charge id). */
  providerRefundId: string
  /**
   * `succeeded`: the money is on its way back. `pending`: accepted, not final yet (YooKassa may
   * answer so); the core records the refund as done either way, a provider that later learns it
   * failed reports it to staff. A refusal is thrown (PaymentProviderError), never returned.
   */
  status: 'succeeded' | 'pending'
}

/** A refusal or failure from the platform, with whether trying again later can help. */
export class PaymentProviderError extends Error {
  constructor(
    public readonly provider: ProviderName,
    message: string,
    public readonly retryable: boolean,
  ) {
    super(message)
    this.name = 'PaymentProviderError'
  }
}

export interface PaymentProvider {
  readonly name: ProviderName
  /** Currencies this provider charges in (Stars: XTR only). */
  readonly currencies: readonly Currency[]
  /** Whether part of a payment can be refunded (Stars: no, only the whole charge). */
  readonly partialRefunds: boolean
  /** Whether it can sell plans as recurring subscriptions. */
  readonly subscriptions: boolean
  /** Opens a payment on the platform; `startCheckout` then records it as `pending`. */
  createCheckout(input: CheckoutInput): Promise<CheckoutResult>
  /** Gives money back through the platform. Called by `refundPayment` before the ledger moves. */
  refund(input: RefundInput): Promise<RefundResult>
  /** Stops renewal at the end of the paid period (optional: not every platform lets us). */
  cancelSubscription?(input: { providerSubscriptionId: string; accountId: number; telegramId: number }): Promise<void>
  /**
   * Ends the subscription at once, with no further charge (a fully refunded plan payment: the
   * refund must not be followed by the next month's charge). Optional: Stars stops renewal in its
   * own `refund`, YooKassa sells plans a month at a time. An already-ended subscription is no failure.
   */
  endSubscriptionNow?(input: { providerSubscriptionId: string; accountId: number; telegramId: number }): Promise<void>
  /** A link where the customer manages the subscription (Stripe's customer portal), if any. */
  manageUrl?(input: { accountId: number; providerCustomerId: string; returnUrl?: string }): Promise<string>
}

/**
 * How the registry builds a provider: `configured` reads only the environment (no network), and
 * `create` is called once per process for a configured provider. Each provider file exports one
 * of these as `<name>Provider` (e.g. `starsProvider`) and adds itself to `FACTORIES` in ./index.ts.
 */
export type ProviderFactory = {
  name: ProviderName
  configured: () => boolean
  create: () => PaymentProvider
}
