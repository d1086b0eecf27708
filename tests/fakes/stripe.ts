import { createHash, createHmac, randomBytes } from 'node:crypto'

import { json, startFakeServer, type FakeCall, type Reply } from './http'

/**
 * The part of Stripe's API (https://docs.stripe.com/api) the `stripe` package calls for us,
 * answering in Stripe's wire format: `Authorization: Bearer sk_...` (401 with an
 * `invalid_request_error` when missing or unknown), form-encoded bodies with bracketed keys
 * (`line_items[0][price_data][currency]=usd`), objects with `object` and `id` prefixes
 * (`cs_`, `cus_`, `sub_`, `in_`, `pi_`, `ch_`, `re_`, `bps_`, `evt_`), errors as
 * `{ error: { type, code, message, param } }`, and `Idempotency-Key`: the same key with the same
 * parameters replays the first answer (header `Idempotent-Replayed: true`), with other parameters
 * it is a 400 `idempotency_error`. Subscriptions carry their period on their items
 * (`items.data[].current_period_end`), invoices name their subscription under
 * `parent.subscription_details`, as in the API versions since 2025-03-31.
 *
 * The test plays the customer and Stripe's back office: `completeCheckout` (the customer pays),
 * `renew`, `failRenewal`, `cancelNow`; `event(type, object)` builds an Event and
 * `signedDelivery(event, secret)` the webhook request Stripe would send
 * (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<raw body>")>`).
 * Knob keys: `POST /v1/checkout/sessions`, `GET /v1/subscriptions/:id`, `POST /v1/refunds`, ...
 */

type Obj = Record<string, any>

/** Stripe's form encoding back into objects and arrays (`a[0][b]=1` → `{ a: [{ b: '1' }] }`). */
export function parseStripeForm(raw: string): Obj {
  const root: Obj = {}
  for (const [key, value] of new URLSearchParams(raw)) {
    const parts = key.split(/\[|\]\[|\]/).filter((part, i) => i === 0 || part !== '')
    let node: any = root
    parts.forEach((part, i) => {
      const last = i === parts.length - 1
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1])
      if (last) node[part] = value
      else node = node[part] ??= nextIsIndex ? [] : {}
    })
  }
  return root
}

const now = () => Math.floor(Date.now() / 1000)
const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`
const stripeError = (status: number, type: string, message: string, extra: Obj = {}): Reply =>
  json(status, { error: { type, message, ...extra, request_log_url: `https://dashboard.stripe.com/test/logs/req_${randomBytes(7).toString('hex')}` } })
const missing = (what: string, value: string) =>
  stripeError(404, 'invalid_request_error', `No such ${what}: '${value}'`, { code: 'resource_missing', param: 'id', doc_url: 'https://stripe.com/docs/error-codes/resource-missing' })
const list = (data: unknown[], url: string) => ({ object: 'list', data, has_more: false, url })

export async function startFakeStripe(options: { secretKey?: string } = {}) {
  const secretKey = options.secretKey ?? 'sk_test_pfFakeStripeSecretKey0123456789'
  const state = {
    customers: new Map<string, Obj>(),
    sessions: new Map<string, Obj>(),
    subscriptions: new Map<string, Obj>(),
    invoices: new Map<string, Obj>(),
    paymentIntents: new Map<string, Obj>(),
    charges: new Map<string, Obj>(),
    refunds: new Map<string, Obj>(),
    portalSessions: new Map<string, Obj>(),
    /** Prices made in the Dashboard (`definePrice`): a Checkout line item may name one by id. */
    prices: new Map<string, Obj>(),
    idempotency: new Map<string, { fingerprint: string; reply: Reply }>(),
  }

  function paymentIntent(amount: number, currency: string, customer: string | null, metadata: Obj = {}) {
    const pi: Obj = { id: id('pi'), object: 'payment_intent', amount, amount_received: amount, currency, customer, status: 'succeeded', metadata, created: now(), livemode: false }
    const charge: Obj = {
      id: id('ch'),
      object: 'charge',
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      currency,
      customer,
      payment_intent: pi.id,
      paid: true,
      captured: true,
      refunded: false,
      status: 'succeeded',
      created: now(),
      livemode: false,
      metadata,
    }
    pi.latest_charge = charge.id
    state.paymentIntents.set(pi.id, pi)
    state.charges.set(charge.id, charge)
    return pi
  }

  function invoiceFor(sub: Obj, status: 'paid' | 'open', reason: string): Obj {
    const item = sub.items.data[0]
    const amount = item.price.unit_amount * (item.quantity ?? 1)
    const pi = status === 'paid' ? paymentIntent(amount, sub.currency, sub.customer, sub.metadata) : null
    const invoice: Obj = {
      id: id('in'),
      object: 'invoice',
      customer: sub.customer,
      currency: sub.currency,
      amount_due: amount,
      amount_paid: status === 'paid' ? amount : 0,
      amount_remaining: status === 'paid' ? 0 : amount,
      attempt_count: 1,
      attempted: true,
      billing_reason: reason,
      status,
      created: now(),
      period_start: item.current_period_start,
      period_end: item.current_period_end,
      livemode: false,
      metadata: {},
      lines: list([{ id: id('il'), object: 'line_item', amount, currency: sub.currency, period: { start: item.current_period_start, end: item.current_period_end }, pricing: { price_details: { price: item.price.id } } }], `/v1/invoices/x/lines`),
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: sub.id, metadata: sub.metadata } },
    }
    // `payments` is includable: the API returns it only when asked (`expand[]=payments`).
    Object.defineProperty(invoice, '_payments', {
      value: list(pi ? [{ id: id('inpay'), object: 'invoice_payment', amount_paid: amount, status: 'paid', payment: { type: 'payment_intent', payment_intent: pi.id }, is_default: true }] : [], `/v1/invoice_payments`),
      enumerable: false,
    })
    state.invoices.set(invoice.id, invoice)
    sub.latest_invoice = invoice.id
    return invoice
  }

  function createSession(b: Obj): Reply {
    if (!['payment', 'subscription', 'setup'].includes(b.mode)) return stripeError(400, 'invalid_request_error', 'Missing required param: mode.', { code: 'parameter_missing', param: 'mode' })
    if (!b.success_url && b.ui_mode !== 'embedded') return stripeError(400, 'invalid_request_error', 'Missing required param: success_url.', { code: 'parameter_missing', param: 'success_url' })
    const items: Obj[] = b.line_items ?? []
    if (items.length === 0) return stripeError(400, 'invalid_request_error', 'Missing required param: line_items.', { code: 'parameter_missing', param: 'line_items' })
    let total = 0
    let priceCurrency: string | undefined
    for (const [i, item] of items.entries()) {
      const pd = item.price_data
      if (item.price) {
        const price = state.prices.get(item.price)
        if (!price) return stripeError(400, 'invalid_request_error', `No such price: '${item.price}'`, { code: 'resource_missing', param: `line_items[${i}][price]` })
        if (b.mode === 'subscription' && !price.recurring) return stripeError(400, 'invalid_request_error', 'You must specify at least one recurring price in `subscription` mode when using prices.', { param: 'line_items' })
        if (b.mode === 'payment' && price.recurring) return stripeError(400, 'invalid_request_error', 'You specified `payment` mode but passed a recurring price.', { param: 'line_items' })
        total += Number(price.unit_amount) * Number(item.quantity ?? 1)
        priceCurrency ??= price.currency
        continue
      }
      if (!item.price && !pd) return stripeError(400, 'invalid_request_error', `Missing required param: line_items[${i}][price].`, { code: 'parameter_missing', param: `line_items[${i}][price]` })
      if (pd && (!pd.currency || pd.unit_amount === undefined || (!pd.product && !pd.product_data?.name))) {
        return stripeError(400, 'invalid_request_error', `Invalid line_items[${i}][price_data].`, { code: 'parameter_invalid', param: `line_items[${i}][price_data]` })
      }
      if (b.mode === 'subscription' && pd && !pd.recurring?.interval) {
        return stripeError(400, 'invalid_request_error', 'You must specify at least one recurring price in `subscription` mode when using prices.', { param: 'line_items' })
      }
      if (b.mode === 'payment' && pd?.recurring) {
        return stripeError(400, 'invalid_request_error', 'You specified `payment` mode but passed a recurring price.', { param: 'line_items' })
      }
      total += Number(pd?.unit_amount ?? 0) * Number(item.quantity ?? 1)
    }
    if (b.customer && !state.customers.has(b.customer)) return missing('customer', b.customer)
    const session: Obj = {
      id: id('cs'),
      object: 'checkout.session',
      mode: b.mode,
      status: 'open',
      payment_status: 'unpaid',
      url: '',
      client_reference_id: b.client_reference_id ?? null,
      customer: b.customer ?? null,
      customer_email: b.customer_email ?? null,
      customer_details: null,
      metadata: b.metadata ?? {},
      currency: items[0].price_data?.currency ?? priceCurrency ?? 'usd',
      amount_total: total,
      amount_subtotal: total,
      success_url: b.success_url ?? null,
      cancel_url: b.cancel_url ?? null,
      locale: b.locale ?? null,
      payment_intent: null,
      subscription: null,
      invoice: null,
      livemode: false,
      created: now(),
      expires_at: now() + 24 * 3600,
    }
    session.url = `https://checkout.stripe.com/c/pay/${session.id}#fidkdWxOYHwnPyd1blpxYHZxWjA0`
    // What the session will make once paid (kept aside, not part of the API's answer).
    Object.defineProperty(session, '_request', { value: b, enumerable: false })
    state.sessions.set(session.id, session)
    return json(200, session)
  }

  function createRefund(b: Obj): Reply {
    const pi = b.payment_intent ? state.paymentIntents.get(b.payment_intent) : undefined
    const charge = b.charge ? state.charges.get(b.charge) : pi ? state.charges.get(pi.latest_charge) : undefined
    if (b.payment_intent && !pi) return missing('payment_intent', b.payment_intent)
    if (!charge) return b.charge ? missing('charge', b.charge) : stripeError(400, 'invalid_request_error', 'One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' })
    const amount = b.amount === undefined ? charge.amount - charge.amount_refunded : Number(b.amount)
    if (charge.amount_refunded >= charge.amount) return stripeError(400, 'invalid_request_error', `Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' })
    if (amount <= 0 || charge.amount_refunded + amount > charge.amount) {
      return stripeError(400, 'invalid_request_error', `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`, { code: 'amount_too_large', param: 'amount' })
    }
    charge.amount_refunded += amount
    charge.refunded = charge.amount_refunded === charge.amount
    const refund: Obj = { id: id('re'), object: 'refund', amount, charge: charge.id, currency: charge.currency, payment_intent: charge.payment_intent, reason: b.reason ?? null, status: 'succeeded', metadata: b.metadata ?? {}, created: now() }
    state.refunds.set(refund.id, refund)
    return json(200, refund)
  }

  function cancelSubscription(sub: Obj): Obj {
    sub.status = 'canceled'
    sub.canceled_at = now()
    sub.ended_at = now()
    return sub
  }

  function handle(call: FakeCall): Reply {
    const auth = String(call.headers.authorization ?? '')
    if (!auth) return stripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').')
    if (auth !== `Bearer ${secretKey}`) return stripeError(401, 'invalid_request_error', `Invalid API Key provided: ${auth.replace(/^Bearer /, '').slice(0, 8)}****`, { code: 'api_key_invalid' })
    const b = call.method === 'GET' ? parseStripeForm(call.query.toString()) : parseStripeForm(call.raw.toString())
    const p = call.path
    let m: RegExpMatchArray | null
    if (call.method === 'POST' && p === '/v1/customers') {
      const customer = { id: id('cus'), object: 'customer', email: b.email ?? null, name: b.name ?? null, metadata: b.metadata ?? {}, created: now(), livemode: false }
      state.customers.set(customer.id, customer)
      return json(200, customer)
    }
    if ((m = p.match(/^\/v1\/customers\/([^/]+)$/))) {
      const customer = state.customers.get(m[1])
      if (!customer) return missing('customer', m[1])
      if (call.method === 'POST') Object.assign(customer, { email: b.email ?? customer.email, metadata: { ...customer.metadata, ...b.metadata } })
      return json(200, customer)
    }
    if (call.method === 'POST' && p === '/v1/checkout/sessions') return createSession(b)
    if (call.method === 'GET' && (m = p.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      const session = state.sessions.get(m[1])
      return session ? json(200, session) : missing('checkout.session', m[1])
    }
    if (call.method === 'POST' && p === '/v1/billing_portal/sessions') {
      if (!b.customer) return stripeError(400, 'invalid_request_error', 'Missing required param: customer.', { code: 'parameter_missing', param: 'customer' })
      if (!state.customers.has(b.customer)) return missing('customer', b.customer)
      const portal = { id: id('bps'), object: 'billing_portal.session', customer: b.customer, return_url: b.return_url ?? null, locale: b.locale ?? null, created: now(), livemode: false, url: '' }
      portal.url = `https://billing.stripe.com/p/session/${portal.id}`
      state.portalSessions.set(portal.id, portal)
      return json(200, portal)
    }
    if (call.method === 'POST' && p === '/v1/refunds') return createRefund(b)
    if ((m = p.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const sub = state.subscriptions.get(m[1])
      if (!sub) return missing('subscription', m[1])
      if (call.method === 'GET') return json(200, sub)
      if (call.method === 'DELETE') {
        if (sub.status === 'canceled') return stripeError(400, 'invalid_request_error', `A canceled subscription can only update its cancellation_details and metadata.`, {})
        return json(200, cancelSubscription(sub))
      }
      if (b.cancel_at_period_end !== undefined) {
        sub.cancel_at_period_end = b.cancel_at_period_end === 'true'
        sub.cancel_at = sub.cancel_at_period_end ? sub.items.data[0].current_period_end : null
      }
      if (b.metadata) sub.metadata = { ...sub.metadata, ...b.metadata }
      return json(200, sub)
    }
    if (call.method === 'GET' && (m = p.match(/^\/v1\/invoices\/([^/]+)$/))) {
      const invoice = state.invoices.get(m[1])
      if (!invoice) return missing('invoice', m[1])
      const expand: string[] = b.expand ?? []
      return json(200, expand.includes('payments') ? { ...invoice, payments: (invoice as Obj & { _payments: Obj })._payments } : invoice)
    }
    if (call.method === 'GET' && (m = p.match(/^\/v1\/payment_intents\/([^/]+)$/))) {
      const pi = state.paymentIntents.get(m[1])
      return pi ? json(200, pi) : missing('payment_intent', m[1])
    }
    if (call.method === 'GET' && (m = p.match(/^\/v1\/charges\/([^/]+)$/))) {
      const charge = state.charges.get(m[1])
      return charge ? json(200, charge) : missing('charge', m[1])
    }
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${call.method}: ${p}).`)
  }

  const fake = await startFakeServer({
    key: (call) => `${call.method} ${call.path.replace(/\/(cs|cus|sub|in|pi|ch|re)_[A-Za-z0-9_]+/g, '/:id')}`,
    handle(call) {
      const key = call.headers['idempotency-key']
      if (call.method !== 'POST' || !key) return handle(call)
      // Stripe keys idempotency per API key; the parameters must match the first request's.
      const fingerprint = createHash('sha256').update(`${call.path}\n${call.raw.toString()}`).digest('hex')
      const seen = state.idempotency.get(String(key))
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return stripeError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`)
        }
        return { ...seen.reply, headers: { ...seen.reply.headers, 'Idempotent-Replayed': 'true', 'Idempotency-Key': String(key) } }
      }
      const reply = handle(call)
      // 4xx validation errors are not saved (the same key may be retried with fixed parameters)
      // but answers that did something are.
      if (reply.status < 400) state.idempotency.set(String(key), { fingerprint, reply })
      return { ...reply, headers: { ...reply.headers, 'Idempotency-Key': String(key) } }
    },
  })

  /** The customer pays the Checkout Session: what Stripe creates, and the completed session. */
  function completeCheckout(sessionId: string, customerEmail = 'buyer@example.com') {
    const session = state.sessions.get(sessionId)
    if (!session || session.status !== 'open') throw new Error(`fake Stripe: session ${sessionId} is not open`)
    const request = (session as Obj & { _request: Obj })._request
    let customer = session.customer as string | null
    if (!customer) {
      const created = { id: id('cus'), object: 'customer', email: customerEmail, name: null, metadata: {}, created: now(), livemode: false }
      state.customers.set(created.id, created)
      customer = created.id
    }
    session.customer = customer
    session.customer_details = { email: customerEmail, name: null, phone: null, address: null, tax_exempt: 'none', tax_ids: [] }
    session.status = 'complete'
    session.payment_status = 'paid'
    if (session.mode === 'payment') {
      session.payment_intent = paymentIntent(session.amount_total, session.currency, customer, { ...request.payment_intent_data?.metadata }).id
    } else {
      const item = request.line_items[0]
      const start = now()
      const sub: Obj = {
        id: id('sub'),
        object: 'subscription',
        customer,
        status: 'active',
        currency: session.currency,
        cancel_at_period_end: false,
        cancel_at: null,
        canceled_at: null,
        ended_at: null,
        created: start,
        start_date: start,
        livemode: false,
        latest_invoice: null,
        metadata: { ...request.subscription_data?.metadata },
        items: list(
          [
            {
              id: id('si'),
              object: 'subscription_item',
              quantity: Number(item.quantity ?? 1),
              current_period_start: start,
              current_period_end: start + 30 * 86_400,
              price: item.price
                ? { id: item.price, object: 'price', unit_amount: session.amount_total, currency: session.currency, recurring: { interval: 'month', interval_count: 1 } }
                : { id: id('price'), object: 'price', unit_amount: Number(item.price_data.unit_amount), currency: item.price_data.currency, recurring: { interval: item.price_data.recurring.interval, interval_count: Number(item.price_data.recurring.interval_count ?? 1) } },
            },
          ],
          `/v1/subscription_items`,
        ),
      }
      state.subscriptions.set(sub.id, sub)
      session.subscription = sub.id
      session.invoice = invoiceFor(sub, 'paid', 'subscription_create').id
    }
    return session
  }

  /** The customer never paid: Stripe expires the session (24 h by default). */
  function expireCheckout(sessionId: string) {
    const session = state.sessions.get(sessionId)
    if (!session || session.status !== 'open') throw new Error(`fake Stripe: session ${sessionId} is not open`)
    session.status = 'expired'
    session.url = null
    return session
  }

  function subscription(subId: string): Obj {
    const sub = state.subscriptions.get(subId)
    if (!sub) throw new Error(`fake Stripe: no subscription ${subId}`)
    return sub
  }

  /** The next period is charged and paid: a new invoice, the period moved on, status active. */
  function renew(subId: string) {
    const sub = subscription(subId)
    const item = sub.items.data[0]
    item.current_period_start = item.current_period_end
    item.current_period_end = item.current_period_start + 30 * 86_400
    sub.status = 'active'
    return invoiceFor(sub, 'paid', 'subscription_cycle')
  }

  /** The renewal charge is declined: the subscription goes past_due with an open invoice. */
  function failRenewal(subId: string) {
    const sub = subscription(subId)
    const item = sub.items.data[0]
    item.current_period_start = item.current_period_end
    item.current_period_end = item.current_period_start + 30 * 86_400
    sub.status = 'past_due'
    return invoiceFor(sub, 'open', 'subscription_cycle')
  }

  /** Canceled at once (from Stripe's dashboard, or dunning gave up). */
  function cancelNow(subId: string) {
    return cancelSubscription(subscription(subId))
  }

  let eventSeq = 0
  /** An Event as Stripe delivers it; `created` defaults to now (seconds), increasing per call. */
  function event(type: string, object: Obj, options: { created?: number; previous_attributes?: Obj } = {}) {
    eventSeq += 1
    return {
      id: `evt_test_${randomBytes(10).toString('hex')}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: options.created ?? now() + eventSeq,
      data: { object: structuredClone(object), ...(options.previous_attributes ? { previous_attributes: options.previous_attributes } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    }
  }

  /** A price as staff create it in the Dashboard (Products > Add price), for Checkout by price id. */
  function definePrice(input: { unitAmount: number; currency: string; recurring?: boolean }): Obj {
    const price: Obj = {
      id: id('price'),
      object: 'price',
      active: true,
      unit_amount: input.unitAmount,
      currency: input.currency,
      type: input.recurring ? 'recurring' : 'one_time',
      recurring: input.recurring ? { interval: 'month', interval_count: 1 } : null,
      created: now(),
      livemode: false,
    }
    state.prices.set(price.id, price)
    return price
  }

  return { ...fake, state, secretKey, definePrice, completeCheckout, expireCheckout, renew, failRenewal, cancelNow, subscription, event }
}

export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>

/**
 * The request Stripe sends to a webhook endpoint: the event's JSON as the raw body and
 * `Stripe-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the endpoint's
 * signing secret>` (https://docs.stripe.com/webhooks#verify-manually).
 */
export function signedDelivery(event: unknown, secret: string, options: { timestamp?: number; url?: string } = {}): Request {
  const body = JSON.stringify(event, null, 2)
  const t = options.timestamp ?? now()
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')
  return new Request(options.url ?? 'http://localhost/api/billing/stripe', {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${v1}`, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    body,
  })
}
