import { fetch } from 'undici'
import { z } from 'zod'

import { env } from '../../lib/env'
import { paymentReturnUrl } from './returnUrl'
import {
  PaymentProviderError,
  type CheckoutInput,
  type CheckoutResult,
  type PaymentProvider,
  type ProviderFactory,
  type ReceiptContact,
  type RefundInput,
  type RefundResult,
} from './types'

/**
 * A small typed client of YooKassa's REST API v3 (https://yookassa.ru/developers/api): payments,
 * refunds, Basic auth `shopId:secretKey`, an `Idempotence-Key` on every POST.
 *
 * Why not `@a2seven/yoo-checkout` (the usual npm client): it pulls in axios as a second HTTP stack
 * next to undici, types the answers without validating them, and throws axios errors that carry
 * the request config (our Authorization header) into whatever logs them. Four endpoints over
 * fetch, each answer parsed with zod, cost less than that dependency.
 */

export const Amount = z.object({ value: z.string().regex(/^\d+(\.\d{1,2})?$/), currency: z.string().length(3) })
export type Amount = z.infer<typeof Amount>

export const PaymentStatus = z.enum(['pending', 'waiting_for_capture', 'succeeded', 'canceled'])
export type PaymentStatus = z.infer<typeof PaymentStatus>

export const Payment = z.object({
  id: z.string().min(1),
  status: PaymentStatus,
  paid: z.boolean(),
  amount: Amount,
  income_amount: Amount.optional(),
  refunded_amount: Amount.optional(),
  description: z.string().optional(),
  created_at: z.string(),
  captured_at: z.string().optional(),
  test: z.boolean().optional(),
  refundable: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  confirmation: z.object({ type: z.string(), confirmation_url: z.string().optional(), return_url: z.string().optional() }).nullish(),
  cancellation_details: z.object({ party: z.string(), reason: z.string() }).nullish(),
})
export type Payment = z.infer<typeof Payment>

export const Refund = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  status: z.enum(['pending', 'succeeded', 'canceled']),
  amount: Amount,
  created_at: z.string(),
  description: z.string().optional(),
})
export type Refund = z.infer<typeof Refund>

const ApiError = z.object({ type: z.literal('error'), code: z.string(), description: z.string().optional(), parameter: z.string().optional() })

/** A 54-FZ receipt as YooKassa's "Чеки от ЮKassa" expects it: one line per thing sold. */
export type ReceiptCustomer = { email: string } | { phone: string }
export type Receipt = {
  customer: ReceiptCustomer
  items: {
    description: string
    quantity: string
    amount: Amount
    vat_code: number
    payment_subject: 'service'
    payment_mode: 'full_payment'
  }[]
  tax_system_code?: number
}

export type CreatePayment = {
  amount: Amount
  capture: true
  confirmation: { type: 'redirect'; return_url: string }
  description: string
  metadata: Record<string, string>
  receipt: Receipt
}

export type CreateRefund = { payment_id: string; amount: Amount; description?: string; receipt?: Receipt }

export class YooKassaError extends Error {
  constructor(
    message: string,
    /**
     * YooKassa's HTTP status (0: no answer). Not named `status`: the logger reads a 4xx `status`
     * as the caller's refusal, and a 401 from YooKassa is our misconfiguration, an error.
     */
    readonly httpStatus: number,
    /** YooKassa's error code (`invalid_credentials`, `not_found`, ...) or ours (`network`, `unreadable`). */
    readonly code: string,
  ) {
    super(message)
    this.name = 'YooKassaError'
  }

  /** Worth trying again later with the same Idempotence-Key: no answer, 429 or a 5xx. */
  get retryable(): boolean {
    return this.httpStatus === 0 || this.httpStatus === 429 || this.httpStatus >= 500
  }
}

export type YooKassaConfig = { shopId: string; secretKey: string; apiBase: string; timeoutMs?: number }

/** Minor units (kopecks, cents) as YooKassa's decimal string: 99000 → "990.00". */
export function amountOf(minor: number, currency: string): Amount {
  if (!Number.isInteger(minor) || minor < 0) throw new RangeError(`amount must be a whole number of minor units, got ${minor}`)
  return { value: `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`, currency: currency.toUpperCase() }
}

/** YooKassa's decimal string back to minor units: "990.00" → 99000. */
export function minorOf(amount: Amount): number {
  const [whole, fraction = ''] = amount.value.split('.')
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
}

export function createYooKassaApi(config: YooKassaConfig) {
  const base = config.apiBase.replace(/\/+$/, '')
  const authorization = `Basic ${Buffer.from(`${config.shopId}:${config.secretKey}`).toString('base64')}`

  async function call<T>(schema: z.ZodType<T>, method: 'GET' | 'POST', path: string, body?: unknown, idempotenceKey?: string): Promise<T> {
    let response: Awaited<ReturnType<typeof fetch>>
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(idempotenceKey ? { 'idempotence-key': idempotenceKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(config.timeoutMs ?? 30_000),
      })
    } catch (error) {
      throw new YooKassaError(`YooKassa ${method} ${path}: no answer (${(error as Error).name})`, 0, 'network')
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const error = ApiError.safeParse(parsed)
      const code = error.success ? error.data.code : 'http_error'
      const detail = error.success ? [error.data.description, error.data.parameter && `(${error.data.parameter})`].filter(Boolean).join(' ') : ''
      throw new YooKassaError(`YooKassa ${method} ${path}: HTTP ${response.status} ${code} ${detail}`.trim(), response.status, code)
    }
    const result = schema.safeParse(parsed)
    if (!result.success) throw new YooKassaError(`YooKassa ${method} ${path}: unexpected answer`, response.status, 'unreadable')
    return result.data
  }

  const pathId = (id: string) => encodeURIComponent(id)

  return {
    /** `Idempotence-Key`: the same key within 24 h returns the same payment instead of a second one. */
    createPayment: (body: CreatePayment, idempotenceKey: string) => call(Payment, 'POST', '/payments', body, idempotenceKey),
    getPayment: (id: string) => call(Payment, 'GET', `/payments/${pathId(id)}`),
    createRefund: (body: CreateRefund, idempotenceKey: string) => call(Refund, 'POST', '/refunds', body, idempotenceKey),
    getRefund: (id: string) => call(Refund, 'GET', `/refunds/${pathId(id)}`),
  }
}

export type YooKassaApi = ReturnType<typeof createYooKassaApi>

/**
 * The addresses YooKassa sends notifications from (its documentation, "Входящие уведомления").
 * Checked only when YOOKASSA_CHECK_IP is on.
 */
export const YOOKASSA_NOTIFICATION_RANGES = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11/32',
  '77.75.156.35/32',
  '77.75.154.128/25',
  '2a02:5180::/32',
]

/** The metadata every payment of ours carries (YooKassa allows 16 keys of up to 32/512 characters). */
export type YooKassaOrderMetadata = { orderId: string; accountId: string; productKind: 'plan' | 'pack'; productCode: string }

/** YooKassa wants a phone as digits only, in international format (79001234567). */
const phoneDigits = (phone: string) => phone.replace(/\D/g, '')

export function receiptOf(contact: ReceiptContact | undefined, item: { description: string; amount: Amount }): Receipt {
  const { YOOKASSA_VAT_CODE, YOOKASSA_TAX_SYSTEM_CODE } = env()
  const customer: ReceiptCustomer | null = contact?.email ? { email: contact.email } : contact?.phone && phoneDigits(contact.phone).length >= 10 ? { phone: phoneDigits(contact.phone) } : null
  if (!customer) throw new PaymentProviderError('yookassa', "a 54-FZ receipt needs the customer's email or phone", false)
  return {
    customer,
    items: [
      {
        // Receipt lines hold at most 128 characters.
        description: item.description.slice(0, 128),
        quantity: '1.00',
        amount: item.amount,
        vat_code: YOOKASSA_VAT_CODE,
        payment_subject: 'service',
        payment_mode: 'full_payment',
      },
    ],
    ...(YOOKASSA_TAX_SYSTEM_CODE ? { tax_system_code: YOOKASSA_TAX_SYSTEM_CODE } : {}),
  }
}

function paymentError(error: unknown, what: string): PaymentProviderError {
  if (error instanceof PaymentProviderError) return error
  if (error instanceof YooKassaError) return new PaymentProviderError('yookassa', `${what}: ${error.message}`, error.retryable)
  return new PaymentProviderError('yookassa', `${what}: ${(error as Error)?.message ?? String(error)}`, false)
}

export function createYooKassaProvider(api: YooKassaApi, returnUrl: () => string): PaymentProvider {
  return {
    name: 'yookassa',
    currencies: ['RUB'],
    partialRefunds: true,
    // Plans are sold a month at a time: recurring charges need YooKassa's separate approval of
    // saved cards, which a shop may not have.
    subscriptions: false,

    async createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
      if (input.currency !== 'RUB') throw new PaymentProviderError('yookassa', `YooKassa charges RUB here, not ${input.currency}`, false)
      const amount = amountOf(input.amount, input.currency)
      const description = input.description || input.title
      const metadata: YooKassaOrderMetadata = {
        orderId: input.orderId,
        accountId: String(input.accountId),
        productKind: input.product.kind,
        productCode: input.product.code,
      }
      try {
        const receipt = receiptOf(input.receipt, { description: input.title, amount })
        const payment = await api.createPayment(
          {
            amount,
            capture: true,
            confirmation: { type: 'redirect', return_url: input.returnUrl ?? returnUrl() },
            description: description.slice(0, 128),
            metadata,
            receipt,
          },
          // The order id: asking twice for the same order answers the same payment.
          input.orderId,
        )
        const url = payment.confirmation?.confirmation_url
        if (!url) throw new PaymentProviderError('yookassa', `payment ${payment.id} has no confirmation URL (status ${payment.status})`, false)
        return { providerPaymentId: payment.id, url, metadata: { test: payment.test ?? false, receiptItem: receipt.items[0]!.description } }
      } catch (error) {
        throw paymentError(error, 'POST /payments')
      }
    },

    async refund({ payment, amount, idempotencyKey, reason }: RefundInput): Promise<RefundResult> {
      const value = amountOf(amount, payment.currency)
      try {
        const refund = await api.createRefund(
          {
            payment_id: payment.providerPaymentId,
            amount: value,
            description: reason.slice(0, 250),
            // 54-FZ: YooKassa makes the receipt of a full refund from the payment's own; a partial
            // refund brings one for the part returned, to the same contact.
            ...(amount !== payment.amount ? { receipt: receiptOf(payment.receipt ?? undefined, { description: String(payment.metadata?.receiptItem ?? reason), amount: value }) } : {}),
          },
          idempotencyKey.slice(0, 64),
        )
        if (refund.status === 'canceled') throw new PaymentProviderError('yookassa', `refund ${refund.id} was canceled`, false)
        return { providerRefundId: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : 'pending' }
      } catch (error) {
        throw paymentError(error, 'POST /refunds')
      }
    },
  }
}

let api: { key: string; client: YooKassaApi } | undefined

/** The API client from the environment (one per process; tests change the base). */
export function yookassaApi(): YooKassaApi {
  const { YOOKASSA_SHOP_ID, YOOKASSA_SECRET_KEY, YOOKASSA_API_BASE, PUBLISH_HTTP_TIMEOUT_MS } = env()
  if (!YOOKASSA_SHOP_ID || !YOOKASSA_SECRET_KEY) throw new PaymentProviderError('yookassa', 'YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY are not set', false)
  const key = `${YOOKASSA_SHOP_ID}:${YOOKASSA_SECRET_KEY}:${YOOKASSA_API_BASE}`
  if (api?.key !== key) {
    api = { key, client: createYooKassaApi({ shopId: YOOKASSA_SHOP_ID, secretKey: YOOKASSA_SECRET_KEY, apiBase: YOOKASSA_API_BASE, timeoutMs: PUBLISH_HTTP_TIMEOUT_MS }) }
  }
  return api.client
}

/** YooKassa is on when the shop id and secret key are set. */
export const yookassaProvider: ProviderFactory = {
  name: 'yookassa',
  configured: () => Boolean(env().YOOKASSA_SHOP_ID && env().YOOKASSA_SECRET_KEY),
  create: () => createYooKassaProvider(yookassaApi(), () => paymentReturnUrl()),
}
