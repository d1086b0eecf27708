import { randomUUID } from 'node:crypto'

import { json, startFakeServer, type FakeCall } from './http'

/**
 * YooKassa API v3 as its documentation describes it (https://yookassa.ru/developers/api):
 * HTTP Basic auth `shopId:secretKey` (401 `invalid_credentials` for a wrong pair or none at all),
 * an `Idempotence-Key` header required on every POST (400 without one; the same key with the same
 * body answers the object it made the first time, with another body 400), JSON amounts as decimal
 * strings (`{ value: "990.00", currency: "RUB" }`), payments created `pending` with a redirect
 * confirmation URL and moving pending → waiting_for_capture → succeeded / canceled (here by the
 * test: `pay`, `cancel`; `capture: true` goes straight to succeeded), refunds of succeeded
 * payments up to what is left (a partial refund of a payment with a receipt needs a refund
 * receipt, a full one does not, as in "Чеки при возвратах"), and the notification bodies YooKassa POSTs to a shop
 * (`{ type: 'notification', event, object }`, no signature). Knob keys: `POST /v3/payments`,
 * `GET /v3/payments/:id`, `POST /v3/refunds`.
 */
export type FakePayment = {
  id: string
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled'
  paid: boolean
  amount: { value: string; currency: string }
  income_amount?: { value: string; currency: string }
  refunded_amount?: { value: string; currency: string }
  description?: string
  recipient: { account_id: string; gateway_id: string }
  created_at: string
  captured_at?: string
  expires_at?: string
  confirmation?: { type: 'redirect'; confirmation_url: string; return_url?: string }
  test: boolean
  refundable: boolean
  metadata: Record<string, string>
  cancellation_details?: { party: string; reason: string }
  payment_method?: { type: string; id: string; saved: boolean; title?: string }
}
export type FakeRefund = {
  id: string
  payment_id: string
  status: 'pending' | 'succeeded' | 'canceled'
  amount: { value: string; currency: string }
  created_at: string
  description?: string
}

const error = (status: number, code: string, description: string, parameter?: string) =>
  json(status, { type: 'error', id: randomUUID(), code, description, ...(parameter ? { parameter } : {}) })

/** Kopecks in a decimal string. */
const minor = (value: string) => Math.round(Number(value) * 100)
const decimal = (kopecks: number) => (kopecks / 100).toFixed(2)

export async function startFakeYooKassa(options: { shopId?: string; secretKey?: string } = {}) {
  const shopId = options.shopId ?? '506751'
  const secretKey = options.secretKey ?? 'test_pf_fake_yookassa_secret_key_0123'
  const state = {
    payments: new Map<string, FakePayment>(),
    refunds: new Map<string, FakeRefund>(),
    /** What each Idempotence-Key answered first, and to which body. */
    idempotence: new Map<string, { body: string; status: number; answer: unknown }>(),
    /** The receipts sent with payments (YooKassa forwards them to the tax service). */
    receipts: new Map<string, unknown>(),
  }
  const expected = `Basic ${Buffer.from(`${shopId}:${secretKey}`).toString('base64')}`

  function createPayment(call: FakeCall) {
    const b = call.body as Record<string, any>
    if (!b.amount?.value || !/^\d+(\.\d{1,2})?$/.test(String(b.amount.value)) || !/^[A-Z]{3}$/.test(String(b.amount.currency))) {
      return error(400, 'invalid_request', 'Invalid amount', 'amount')
    }
    if (b.confirmation && (b.confirmation.type !== 'redirect' || !b.confirmation.return_url)) {
      return error(400, 'invalid_request', 'Missing return_url for redirect confirmation', 'confirmation.return_url')
    }
    if (b.metadata && Object.keys(b.metadata).length > 16) return error(400, 'invalid_request', 'Too many metadata keys', 'metadata')
    if (b.description && String(b.description).length > 128) return error(400, 'invalid_request', 'Description is too long', 'description')
    // The shop sends receipts through YooKassa (54-FZ): a receipt with a contact and items is required.
    const receipt = b.receipt
    if (!receipt) return error(400, 'invalid_request', 'Receipt is missing or illegal', 'receipt')
    if (!receipt.customer || (!receipt.customer.email && !receipt.customer.phone)) {
      return error(400, 'invalid_request', 'Receipt customer email or phone is required', 'receipt.customer')
    }
    if (!Array.isArray(receipt.items) || receipt.items.length === 0) return error(400, 'invalid_request', 'Receipt items are missing', 'receipt.items')
    let sum = 0
    for (const item of receipt.items) {
      if (!item.description || !item.amount?.value || item.quantity === undefined || !item.vat_code) {
        return error(400, 'invalid_request', 'Receipt item is illegal', 'receipt.items')
      }
      sum += minor(String(item.amount.value)) * Number(item.quantity)
    }
    if (sum !== minor(String(b.amount.value))) return error(400, 'invalid_request', 'Receipt total does not match the payment amount', 'receipt.items')
    const id = `${randomUUID().slice(0, 8)}-000f-5000-8000-${randomUUID().slice(-12)}`
    const payment: FakePayment = {
      id,
      status: 'pending',
      paid: false,
      amount: { value: decimal(minor(String(b.amount.value))), currency: b.amount.currency },
      description: b.description,
      recipient: { account_id: shopId, gateway_id: '1000001' },
      created_at: new Date().toISOString(),
      confirmation: b.confirmation
        ? { type: 'redirect', confirmation_url: `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${id}`, return_url: b.confirmation.return_url }
        : undefined,
      test: true,
      refundable: false,
      metadata: b.metadata ?? {},
    }
    ;(payment as FakePayment & { capture: boolean }).capture = b.capture === true
    state.payments.set(id, payment)
    state.receipts.set(id, receipt)
    return json(200, view(payment))
  }

  function createRefund(call: FakeCall) {
    const b = call.body as Record<string, any>
    const payment = state.payments.get(String(b.payment_id ?? ''))
    if (!payment) return error(404, 'not_found', 'Payment not found', 'payment_id')
    if (payment.status !== 'succeeded') return error(400, 'invalid_request', 'Payment is not succeeded', 'payment_id')
    const refunded = minor(payment.refunded_amount?.value ?? '0')
    const asked = minor(String(b.amount?.value ?? '0'))
    if (!asked || b.amount?.currency !== payment.amount.currency) return error(400, 'invalid_request', 'Invalid amount', 'amount')
    if (refunded + asked > minor(payment.amount.value)) return error(400, 'invalid_request', 'Refund amount exceeds payment amount', 'amount')
    // 54-FZ: a full refund takes the receipt data from the payment; a partial one must bring a
    // refund receipt for what is returned.
    if (state.receipts.has(payment.id) && asked !== minor(payment.amount.value)) {
      const receipt = b.receipt
      const sum = Array.isArray(receipt?.items) ? receipt.items.reduce((total: number, item: any) => total + minor(String(item.amount?.value ?? '0')) * Number(item.quantity ?? 0), 0) : -1
      if (!receipt?.customer || (!receipt.customer.email && !receipt.customer.phone)) return error(400, 'invalid_request', 'Receipt is missing or illegal', 'receipt')
      if (sum !== asked) return error(400, 'invalid_request', 'Receipt total does not match the refund amount', 'receipt.items')
      state.receipts.set(`refund:${payment.id}:${refunded}`, receipt)
    }
    const refund: FakeRefund = {
      id: `${randomUUID().slice(0, 8)}-0015-5000-9000-${randomUUID().slice(-12)}`,
      payment_id: payment.id,
      status: 'succeeded',
      amount: { value: decimal(asked), currency: payment.amount.currency },
      created_at: new Date().toISOString(),
      description: b.description,
    }
    state.refunds.set(refund.id, refund)
    payment.refunded_amount = { value: decimal(refunded + asked), currency: payment.amount.currency }
    payment.refundable = refunded + asked < minor(payment.amount.value)
    return json(200, refund)
  }

  /** The payment as the API returns it (the confirmation URL only while it can still be paid). */
  function view(payment: FakePayment) {
    const { capture: _capture, ...rest } = payment as FakePayment & { capture?: boolean }
    return rest.status === 'pending' ? rest : { ...rest, confirmation: undefined }
  }

  const fake = await startFakeServer({
    key: (call) => `${call.method} ${call.path.replace(/^(\/v3\/(payments|refunds))\/[^/]+$/, '$1/:id')}`,
    handle(call) {
      // No Authorization header and a wrong one answer the same.
      if (call.headers.authorization !== expected) return error(401, 'invalid_credentials', 'Login or password is incorrect')
      if (call.method === 'POST') {
        const key = String(call.headers['idempotence-key'] ?? '')
        if (!key) return error(400, 'invalid_request', 'Idempotence-Key header is required', 'Idempotence-Key')
        if (key.length > 64) return error(400, 'invalid_request', 'Idempotence-Key is too long', 'Idempotence-Key')
        const body = call.raw.toString()
        const seen = state.idempotence.get(`${call.path} ${key}`)
        if (seen) {
          if (seen.body !== body) return error(400, 'invalid_request', 'Idempotence key duplicated with another request body', 'Idempotence-Key')
          return json(seen.status, seen.answer)
        }
        const reply = call.path === '/v3/payments' ? createPayment(call) : call.path === '/v3/refunds' ? createRefund(call) : error(404, 'not_found', 'Not found')
        // Only accepted requests are remembered (an invalid one may be corrected and sent again).
        if (reply.status === 200) state.idempotence.set(`${call.path} ${key}`, { body, status: reply.status, answer: reply.body })
        return reply
      }
      const payment = call.path.match(/^\/v3\/payments\/([^/]+)$/)
      if (call.method === 'GET' && payment) {
        const found = state.payments.get(decodeURIComponent(payment[1]))
        return found ? json(200, view(found)) : error(404, 'not_found', 'Payment not found')
      }
      const refund = call.path.match(/^\/v3\/refunds\/([^/]+)$/)
      if (call.method === 'GET' && refund) {
        const found = state.refunds.get(decodeURIComponent(refund[1]))
        return found ? json(200, found) : error(404, 'not_found', 'Refund not found')
      }
      return error(404, 'not_found', 'Not found')
    },
  })

  /** The customer pays on YooKassa's page: with capture true the payment succeeds at once. */
  function pay(id: string) {
    const payment = state.payments.get(id)
    if (!payment || payment.status !== 'pending') throw new Error(`fake YooKassa: payment ${id} is not pending`)
    payment.paid = true
    payment.payment_method = { type: 'bank_card', id: randomUUID(), saved: false, title: 'Bank card *4444' }
    const capture = (payment as FakePayment & { capture?: boolean }).capture
    if (capture) {
      payment.status = 'succeeded'
      payment.captured_at = new Date().toISOString()
      payment.refundable = true
      payment.income_amount = { value: decimal(Math.round(minor(payment.amount.value) * 0.965)), currency: payment.amount.currency }
    } else {
      payment.status = 'waiting_for_capture'
      payment.expires_at = new Date(Date.now() + 7 * 86_400_000).toISOString()
    }
    return view(payment)
  }

  function cancel(id: string, reason = 'expired_on_confirmation') {
    const payment = state.payments.get(id)
    if (!payment || (payment.status !== 'pending' && payment.status !== 'waiting_for_capture')) throw new Error(`fake YooKassa: payment ${id} cannot be canceled`)
    payment.status = 'canceled'
    payment.paid = false
    payment.cancellation_details = { party: 'yoo_money', reason }
    return view(payment)
  }

  /** What YooKassa POSTs to the shop's notification URL. */
  function notification(event: 'payment.succeeded' | 'payment.waiting_for_capture' | 'payment.canceled' | 'refund.succeeded', object: unknown) {
    return { type: 'notification', event, object }
  }

  const payments = () => [...state.payments.values()]
  return { ...fake, state, shopId, secretKey, pay, cancel, notification, payments, view }
}

export type FakeYooKassa = Awaited<ReturnType<typeof startFakeYooKassa>>
