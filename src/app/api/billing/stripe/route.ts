import config from '@payload-config'
import { getPayload } from 'payload'
import type Stripe from 'stripe'

import { stripeClient } from '../../../../billing/providers/stripe'
import { applyStripeEvent } from '../../../../billing/providers/stripeWebhook'
import { env } from '../../../../lib/env'
import { logger } from '../../../../lib/logger'
import { reportError } from '../../../../lib/telemetry/errors'
import { timedRoute } from '../../../../lib/telemetry/http'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** Stripe's events are a few kilobytes; anything near this is not Stripe. */
const MAX_BODY_BYTES = 512 * 1024

const answer = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } })

/**
 * Stripe's webhook (register `<SERVER_URL>/api/billing/stripe` in Stripe's dashboard, with the
 * events listed in src/billing/providers/stripeWebhook.ts). The signature is checked on the raw
 * bytes before anything is parsed: a missing or wrong one is a 400 and nothing is applied. A
 * verified event is applied once by its id; a failure to read Stripe or to write answers 500, so
 * Stripe delivers it again (for up to three days).
 */
export const POST = timedRoute('/api/billing/stripe', async (request: Request): Promise<Response> => {
  const { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET } = env()
  if (!STRIPE_SECRET_KEY || !STRIPE_WEBHOOK_SECRET) return answer(404, { error: 'stripe is not configured' })
  const log = logger().child({ provider: 'stripe', via: 'webhook' })
  const signature = request.headers.get('stripe-signature')
  if (!signature) return answer(400, { error: 'missing Stripe-Signature' })
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return answer(413, { error: 'too large' })
  const raw = Buffer.from(await request.arrayBuffer())
  if (raw.length > MAX_BODY_BYTES) return answer(413, { error: 'too large' })

  const stripe = stripeClient()
  let event: Stripe.Event
  try {
    event = stripe.webhooks.constructEvent(raw, signature, STRIPE_WEBHOOK_SECRET)
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'stripe webhook with a bad signature refused')
    return answer(400, { error: 'bad signature' })
  }

  try {
    const result = await applyStripeEvent(await getPayload({ config }), stripe, event)
    log.info({ eventId: event.id, type: event.type, ...result }, result.handled ? 'stripe event' : 'stripe event not on the allowlist: ignored')
    return answer(200, { received: true })
  } catch (error) {
    const ref = reportError(error, { tags: { route: '/api/billing/stripe', stripe_event: event.id } })
    log.error({ eventId: event.id, type: event.type, err: error, ref }, 'stripe event not applied: Stripe will deliver it again')
    return answer(500, { error: 'not applied, retry later' })
  }
})
