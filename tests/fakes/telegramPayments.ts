import { randomBytes, randomInt } from 'node:crypto'

import type { Update, User } from 'grammy/types'

/**
 * Telegram Stars as the Bot API documents them (https://core.telegram.org/bots/api#payments,
 * https://core.telegram.org/bots/payments-stars), for the fake Bot API: invoices sent or linked,
 * the pre-checkout round (Telegram charges only after `answerPreCheckoutQuery` with ok: true),
 * charges with their `telegram_payment_charge_id`, subscriptions renewed every 30 days,
 * `refundStarPayment`, `editUserStarSubscription` and `getStarTransactions`. Errors are Telegram's
 * 400 answers ("Bad Request: CHARGE_NOT_FOUND" and the like).
 */
export const SUBSCRIPTION_PERIOD = 2_592_000

export type FakeInvoice = {
  title: string
  description: string
  payload: string
  currency: string
  prices: Array<{ label: string; amount: number }>
  subscriptionPeriod?: number
  /** The chat it was sent to (sendInvoice), or the link made for it (createInvoiceLink). */
  chatId?: number
  link?: string
}

export type FakeCharge = {
  id: string
  userId: number
  amount: number
  payload: string
  date: number
  subscriptionPeriod?: number
  /** For subscriptions: the end of the period this charge paid for. */
  expiresAt?: number
  canceled?: boolean
  refunded?: boolean
}

type Query = { id: string; from: User; invoice: FakeInvoice; answer?: { ok: boolean; error_message?: string } }

export class BadRequest extends Error {}

const total = (invoice: FakeInvoice) => invoice.prices.reduce((sum, price) => sum + price.amount, 0)

export function fakeStars() {
  const invoices: FakeInvoice[] = []
  const queries = new Map<string, Query>()
  const charges = new Map<string, FakeCharge>()
  const refunds: Array<{ chargeId: string; userId: number; amount: number; date: number }> = []
  let updateId = randomInt(1_000_000_000, 1_500_000_000)

  function invoiceOf(params: Record<string, any>, subscription: boolean): FakeInvoice {
    const prices = Array.isArray(params.prices) ? params.prices : []
    const payloadBytes = Buffer.byteLength(String(params.payload ?? ''))
    if (!params.title || String(params.title).length > 32) throw new BadRequest('Bad Request: INVOICE_TITLE_EMPTY')
    if (!params.description || String(params.description).length > 255) throw new BadRequest('Bad Request: INVOICE_DESCRIPTION_EMPTY')
    if (payloadBytes < 1 || payloadBytes > 128) throw new BadRequest('Bad Request: INVOICE_PAYLOAD_INVALID')
    if (prices.length === 0 || prices.some((p: any) => !Number.isInteger(p?.amount) || p.amount <= 0)) throw new BadRequest('Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID')
    if (params.currency === 'XTR') {
      // Stars: no payment provider, and exactly one price.
      if (params.provider_token) throw new BadRequest('Bad Request: PAYMENT_PROVIDER_INVALID')
      if (prices.length !== 1) throw new BadRequest('Bad Request: STARS_INVOICE_INVALID')
      if (params.max_tip_amount) throw new BadRequest('Bad Request: STARS_INVOICE_INVALID')
    } else if (!params.provider_token) throw new BadRequest('Bad Request: PAYMENT_PROVIDER_INVALID')
    if (params.subscription_period !== undefined) {
      if (!subscription || params.currency !== 'XTR' || Number(params.subscription_period) !== SUBSCRIPTION_PERIOD)
        throw new BadRequest('Bad Request: SUBSCRIPTION_PERIOD_INVALID')
      if (prices[0].amount > 10_000) throw new BadRequest('Bad Request: SUBSCRIPTION_PRICE_INVALID')
    }
    return {
      title: String(params.title),
      description: String(params.description),
      payload: String(params.payload),
      currency: String(params.currency),
      prices: prices.map((p: any) => ({ label: String(p.label), amount: Number(p.amount) })),
      subscriptionPeriod: params.subscription_period === undefined ? undefined : Number(params.subscription_period),
    }
  }

  function transaction(charge: FakeCharge, from: User | undefined) {
    return {
      id: charge.id,
      amount: charge.amount,
      date: charge.date,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user: from ?? { id: charge.userId, is_bot: false, first_name: 'User' },
        invoice_payload: charge.payload,
        ...(charge.subscriptionPeriod ? { subscription_period: charge.subscriptionPeriod } : {}),
      },
    }
  }

  const users = new Map<number, User>()

  function successfulPaymentUpdate(from: User, charge: FakeCharge, first: boolean): Update {
    const successful_payment = {
      currency: 'XTR',
      total_amount: charge.amount,
      invoice_payload: charge.payload,
      telegram_payment_charge_id: charge.id,
      provider_payment_charge_id: '',
      ...(charge.subscriptionPeriod
        ? { is_recurring: true, ...(first ? { is_first_recurring: true } : {}), subscription_expiration_date: charge.expiresAt }
        : {}),
    }
    return {
      update_id: ++updateId,
      message: {
        message_id: randomInt(1000, 1_000_000),
        date: charge.date,
        chat: { id: from.id, type: 'private', first_name: from.first_name },
        from,
        successful_payment,
      },
    } as Update
  }

  return {
    invoices,
    charges,
    refunds,

    /** Handles a payments method of the Bot API; undefined for any other method. Throws BadRequest. */
    handle(method: string, params: Record<string, any>, message: () => Record<string, unknown>): unknown {
      switch (method) {
        case 'sendInvoice': {
          if (params.subscription_period !== undefined) throw new BadRequest('Bad Request: SUBSCRIPTION_PERIOD_INVALID')
          const invoice = { ...invoiceOf(params, false), chatId: Number(params.chat_id) }
          invoices.push(invoice)
          return {
            ...message(),
            invoice: { title: invoice.title, description: invoice.description, start_parameter: params.start_parameter ?? '', currency: invoice.currency, total_amount: total(invoice) },
          }
        }
        case 'createInvoiceLink': {
          const invoice = { ...invoiceOf(params, true), link: `https://t.me/$${randomBytes(12).toString('base64url')}` }
          invoices.push(invoice)
          return invoice.link
        }
        case 'answerPreCheckoutQuery': {
          const query = queries.get(String(params.pre_checkout_query_id))
          if (!query || query.answer) throw new BadRequest('Bad Request: query is too old and response timeout expired or query ID is invalid')
          const ok = params.ok === true || params.ok === 'true'
          if (!ok && !params.error_message) throw new BadRequest('Bad Request: ERROR_MESSAGE_EMPTY')
          query.answer = { ok, ...(ok ? {} : { error_message: String(params.error_message) }) }
          return true
        }
        case 'refundStarPayment': {
          const charge = charges.get(String(params.telegram_payment_charge_id))
          if (!charge || charge.userId !== Number(params.user_id)) throw new BadRequest('Bad Request: CHARGE_NOT_FOUND')
          if (charge.refunded) throw new BadRequest('Bad Request: CHARGE_ALREADY_REFUNDED')
          charge.refunded = true
          refunds.push({ chargeId: charge.id, userId: charge.userId, amount: charge.amount, date: Math.floor(Date.now() / 1000) })
          return true
        }
        case 'editUserStarSubscription': {
          const charge = charges.get(String(params.telegram_payment_charge_id))
          if (!charge || charge.userId !== Number(params.user_id) || !charge.subscriptionPeriod) throw new BadRequest('Bad Request: CHARGE_NOT_FOUND')
          const canceled = params.is_canceled === true || params.is_canceled === 'true'
          if (Boolean(charge.canceled) === canceled) throw new BadRequest('Bad Request: SUBSCRIPTION_NOT_MODIFIED')
          // The subscription is the chain of charges: every charge of it follows the state.
          for (const other of charges.values())
            if (other.userId === charge.userId && other.payload === charge.payload && other.subscriptionPeriod) other.canceled = canceled
          return true
        }
        case 'getStarTransactions': {
          const offset = Number(params.offset ?? 0)
          const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)))
          const all = [
            ...[...charges.values()].map((charge) => transaction(charge, users.get(charge.userId))),
            ...refunds.map((refund) => ({
              id: refund.chargeId,
              amount: refund.amount,
              date: refund.date,
              receiver: { type: 'user', transaction_type: 'invoice_payment', user: users.get(refund.userId) ?? { id: refund.userId, is_bot: false, first_name: 'User' } },
            })),
          ].sort((a, b) => b.date - a.date)
          return { transactions: all.slice(offset, offset + limit) }
        }
        default:
          return undefined
      }
    },

    /** The invoices the bot made, newest last; `payloadPrefix` narrows to one order or product. */
    lastInvoice(filter: (invoice: FakeInvoice) => boolean = () => true): FakeInvoice | undefined {
      return invoices.filter(filter).at(-1)
    },

    /** The customer presses Pay: Telegram asks the bot with a pre_checkout_query (the update returned). */
    preCheckout(invoice: FakeInvoice, from: User, override: Partial<Pick<FakeInvoice, 'currency'>> & { total?: number } = {}): { update: Update; queryId: string } {
      users.set(from.id, from)
      const id = String(randomInt(1, 2 ** 47))
      queries.set(id, { id, from, invoice })
      const update = {
        update_id: ++updateId,
        pre_checkout_query: {
          id,
          from,
          currency: override.currency ?? invoice.currency,
          total_amount: override.total ?? total(invoice),
          invoice_payload: invoice.payload,
        },
      } as Update
      return { update, queryId: id }
    },

    /** What the bot answered a pre-checkout query, if it has. */
    answerOf(queryId: string) {
      return queries.get(queryId)?.answer
    },

    /**
     * Telegram takes the Stars once the bot said ok, and tells the bot with a successful_payment
     * message (the update returned). Throws when the bot did not approve the query.
     */
    pay(queryId: string): { update: Update; charge: FakeCharge } {
      const query = queries.get(queryId)
      if (!query?.answer?.ok) throw new Error(`pre-checkout ${queryId} was not approved: ${JSON.stringify(query?.answer)}`)
      const now = Math.floor(Date.now() / 1000)
      const charge: FakeCharge = {
        id: `stxFake${randomBytes(18).toString('base64url')}`,
        userId: query.from.id,
        amount: total(query.invoice),
        payload: query.invoice.payload,
        date: now,
        ...(query.invoice.subscriptionPeriod ? { subscriptionPeriod: query.invoice.subscriptionPeriod, expiresAt: now + query.invoice.subscriptionPeriod } : {}),
      }
      charges.set(charge.id, charge)
      return { update: successfulPaymentUpdate(query.from, charge, true), charge }
    },

    /**
     * A subscription's next period: Telegram charges the user again (a new charge id) without a
     * pre-checkout query and sends successful_payment with is_recurring. Refused for a canceled one.
     */
    renew(chargeId: string): { update: Update; charge: FakeCharge } {
      const previous = charges.get(chargeId)
      if (!previous?.subscriptionPeriod || !previous.expiresAt) throw new Error(`${chargeId} is not a subscription charge`)
      if (previous.canceled) throw new Error(`the subscription of ${chargeId} is canceled: Telegram does not renew it`)
      const charge: FakeCharge = {
        ...previous,
        id: `stxFake${randomBytes(18).toString('base64url')}`,
        date: previous.expiresAt,
        expiresAt: previous.expiresAt + previous.subscriptionPeriod,
        refunded: false,
      }
      charges.set(charge.id, charge)
      const from = users.get(charge.userId) ?? { id: charge.userId, is_bot: false, first_name: 'User' }
      return { update: successfulPaymentUpdate(from, charge, false), charge }
    },
  }
}

export type FakeStars = ReturnType<typeof fakeStars>
