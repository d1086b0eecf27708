import { GrammyError, HttpError, type Api } from 'grammy'
import { z } from 'zod'

import { env } from '../../lib/env'
import { logger } from '../../lib/logger'
import { createApi } from '../../telegram/client'
import {
  PaymentProviderError,
  type CheckoutInput,
  type PaymentProvider,
  type ProductRef,
  type ProviderFactory,
  type RefundInput,
  type RefundResult,
} from './types'

/**
 * Telegram Stars (https://core.telegram.org/bots/payments-stars): digital goods sold inside the
 * bot, paid in XTR (whole stars), no payment provider token, exactly one price. Credit packs are
 * one-off invoice links (`createInvoiceLink`, opened from a button in the chat); plans are
 * subscription invoice links (`subscription_period` 30 days), which Telegram renews every period with a new
 * `successful_payment` (`is_recurring`) until the user or the bot cancels it
 * (`editUserStarSubscription`). Refunds give the whole charge back (`refundStarPayment`).
 *
 * The invoice payload names the order: `pf1:<account id>:<p|s>:<product code>:<order id>` (p a
 * pack, s a subscription to a plan), at most 128 bytes. It comes back in `pre_checkout_query` and
 * `successful_payment` and is parsed with `parseStarsPayload` before anything is trusted.
 */
export const STARS_SUBSCRIPTION_PERIOD = 30 * 24 * 60 * 60
/** Telegram's ceiling for the price of a Stars subscription. */
export const STARS_SUBSCRIPTION_MAX = 10_000

export type StarsOrder = { accountId: number; product: ProductRef; orderId: string }

const PAYLOAD = /^pf1:(\d{1,10}):([ps]):([a-z0-9][a-z0-9_-]{0,63}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

const StarsPayload = z
  .string()
  .max(128)
  .regex(PAYLOAD)
  .transform((value): StarsOrder => {
    const [, account, kind, code, orderId] = PAYLOAD.exec(value)!
    return { accountId: Number(account), product: { kind: kind === 's' ? 'plan' : 'pack', code }, orderId }
  })
  .refine((order) => order.accountId > 0 && order.accountId <= 2_147_483_647)

export function starsPayload(order: StarsOrder): string {
  const payload = `pf1:${order.accountId}:${order.product.kind === 'plan' ? 's' : 'p'}:${order.product.code}:${order.orderId}`
  if (!StarsPayload.safeParse(payload).success) throw new Error(`not a valid Stars invoice payload: ${payload}`)
  return payload
}

/** The order an invoice payload names, or null when it is not one of ours (forged, stale format). */
export function parseStarsPayload(payload: string): StarsOrder | null {
  const parsed = StarsPayload.safeParse(payload)
  return parsed.success ? parsed.data : null
}

type Invoice = { title: string; description: string; payload: string; provider_token: ''; currency: 'XTR'; prices: [{ label: string; amount: number }] }

function invoiceOf(input: Pick<CheckoutInput, 'accountId' | 'product' | 'orderId' | 'amount' | 'currency' | 'title' | 'description'>): Invoice {
  if (input.currency !== 'XTR') throw new PaymentProviderError('stars', `Stars charge XTR only, not ${input.currency}`, false)
  if (!Number.isInteger(input.amount) || input.amount < 1) throw new PaymentProviderError('stars', `a Stars price is a whole number of stars, got ${input.amount}`, false)
  if (input.product.kind === 'plan' && input.amount > STARS_SUBSCRIPTION_MAX)
    throw new PaymentProviderError('stars', `a Stars subscription costs at most ${STARS_SUBSCRIPTION_MAX} stars, got ${input.amount}`, false)
  return {
    // Telegram's limits: title 1-32, description 1-255 characters.
    title: input.title.slice(0, 32),
    description: input.description.slice(0, 255),
    payload: starsPayload({ accountId: input.accountId, product: input.product, orderId: input.orderId }),
    provider_token: '',
    currency: 'XTR',
    prices: [{ label: input.title.slice(0, 32), amount: input.amount }],
  }
}

/** A Bot API failure as the core's error: 429, 5xx and no answer are worth trying again. */
function providerError(error: unknown, what: string): PaymentProviderError {
  if (error instanceof GrammyError) {
    const retryable = error.error_code === 429 || error.error_code >= 500
    return new PaymentProviderError('stars', `${what}: ${error.error_code} ${error.description}`, retryable)
  }
  if (error instanceof HttpError) return new PaymentProviderError('stars', `${what}: no answer from the Bot API`, true)
  return new PaymentProviderError('stars', `${what}: ${(error as Error)?.message ?? String(error)}`, false)
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw providerError(error, what)
  }
}

export type StarsProvider = PaymentProvider & {
  /** Stops (true) or restarts (false) the renewal of a subscription, by any charge id of it. */
  setSubscriptionCanceled(input: { telegramId: number; chargeId: string; canceled: boolean }): Promise<void>
}

/** The Stars provider over a grammY Api (the bot's own, or one built from the environment). */
export function createStarsProvider(api: Api): StarsProvider {
  const setSubscriptionCanceled: StarsProvider['setSubscriptionCanceled'] = async ({ telegramId, chargeId, canceled }) => {
    try {
      await api.editUserStarSubscription(telegramId, chargeId, canceled)
    } catch (error) {
      // Asking for the state it already has is no failure: the customer gets what they asked.
      if (error instanceof GrammyError && /SUBSCRIPTION_NOT_MODIFIED/i.test(error.description)) return
      throw providerError(error, 'editUserStarSubscription')
    }
  }
  return {
    name: 'stars',
    currencies: ['XTR'],
    partialRefunds: false,
    subscriptions: true,

    async createCheckout(input) {
      const invoice = invoiceOf(input)
      const url = await call('createInvoiceLink', () =>
        api.createInvoiceLink(invoice.title, invoice.description, invoice.payload, invoice.provider_token, invoice.currency, invoice.prices, {
          ...(input.product.kind === 'plan' ? { subscription_period: STARS_SUBSCRIPTION_PERIOD } : {}),
        }),
      )
      // A plan's first charge is its Stars subscription: a full refund of it also stops renewal.
      return { providerPaymentId: input.orderId, url, ...(input.product.kind === 'plan' ? { metadata: { starsSubscription: true } } : {}) }
    },

    async refund({ payment, amount }: RefundInput): Promise<RefundResult> {
      if (!payment.providerChargeId) throw new PaymentProviderError('stars', `payment ${payment.id} has no Telegram charge id: nothing was charged`, false)
      if (payment.refundedAmount > 0 || amount !== payment.amount)
        throw new PaymentProviderError('stars', 'Stars refunds give back the whole charge only', false)
      try {
        await api.refundStarPayment(payerOf(payment), payment.providerChargeId)
      } catch (error) {
        // Telegram may answer so when the refund went through on an earlier try (a lost answer):
        // the stars are back with the customer either way.
        if (!(error instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/i.test(error.description))) throw providerError(error, 'refundStarPayment')
      }
      // A refunded plan payment ends its period (the core); Telegram must not charge the next one.
      const subscription = subscriptionOf(payment)
      if (subscription) {
        await setSubscriptionCanceled({ telegramId: payerOf(payment), chargeId: subscription, canceled: true }).catch((error: Error) =>
          logger().error({ paymentId: payment.id, err: error.message }, 'Stars payment refunded but its subscription could not be canceled: cancel it by hand'),
        )
      }
      return { providerRefundId: payment.providerChargeId, status: 'succeeded' }
    },

    async cancelSubscription({ providerSubscriptionId, telegramId }) {
      await setSubscriptionCanceled({ telegramId, chargeId: providerSubscriptionId, canceled: true })
    },

    setSubscriptionCanceled,
  }
}

/** The Stars subscription a payment belongs to (its first charge id), from what checkout and renewals keep. */
/**
 * Who paid: the Telegram user id kept on the payment when it was settled (`payerTelegramId`), so
 * a deleted account (its telegramId anonymised to -<id>) can still be refunded; else the account's.
 */
function payerOf(payment: RefundInput['payment']): number {
  const kept = Number((payment.metadata as { payerTelegramId?: unknown } | null)?.payerTelegramId)
  return Number.isSafeInteger(kept) && kept > 0 ? kept : payment.telegramId
}

function subscriptionOf(payment: RefundInput['payment']): string | null {
  const metadata = payment.metadata ?? {}
  if (typeof metadata.starsSubscriptionId === 'string') return metadata.starsSubscriptionId
  return metadata.starsSubscription === true ? payment.providerChargeId : null
}

/** Stars are on wherever the bot has a token: the registry builds the provider from it. */
export const starsProvider: ProviderFactory = {
  name: 'stars',
  configured: () => Boolean(env().TELEGRAM_BOT_TOKEN),
  create: () => createStarsProvider(createApi(env().TELEGRAM_BOT_TOKEN!)),
}
