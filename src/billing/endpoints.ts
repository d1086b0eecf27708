import type { Endpoint } from 'payload'
import { z } from 'zod'

import { actorOf, isStaff } from '../access/actors'
import { AppError, errorResponse } from '../http/errors'
import { languageOf } from '../i18n/request'
import { refundPayment } from './refunds'

/** A UTF-16 surrogate half without its pair (text that is not well-formed Unicode). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const RefundBody = z.object({
  amount: z.number().int().positive().optional(),
  // Well-formed Unicode without NUL: a lone surrogate would reach the provider's client and come
  // back as a provider failure (502) instead of the staff member's mistake (422).
  reason: z
    .string()
    .trim()
    .min(3)
    .max(1000)
    .refine((text) => !LONE_SURROGATE.test(text) && !text.includes('\u0000'), 'reason must be well-formed text'),
})

/**
 * `POST /api/payments/:id/refund` (admins only). Gives money back through the payment's
 * provider and reverses its credits (`refundPayment` in ./refunds.ts).
 *
 * Request: `{ "amount"?: number (minor units; default: all that is left), "reason": string (3-1000) }`
 * 200: `{ applied: boolean, payment: { id, status, amount, refundedAmount, currency, refundedAt },
 *         refund: { amount, creditsReversed, creditsShort, providerRefundId } }`
 *      (`applied: false`: nothing was left to refund, nothing happened)
 * Errors (Payload's error body, `errors[0].data.code`, translated `message`):
 *   401/403 not an admin · 404 `billing.refund.not_found` · 409 `billing.refund.not_paid` /
 *   `billing.refund.nothing_left` · 422 `billing.refund.invalid_body` / `billing.refund.amount_invalid` /
 *   `billing.refund.partial_unsupported` / `billing.ledger.reason_required` ·
 *   502 `billing.refund.provider_failed` · 503 `billing.refund.provider_unavailable`
 *
 * Manual grants need no endpoint of their own: `POST /api/credit-ledger` with
 * `{ account, kind: 'grant' | 'adjustment', credits, reason }` (admins; see CreditLedger).
 */
export const refundEndpoint: Endpoint = {
  path: '/:id/refund',
  method: 'post',
  handler: async (req) => {
    const language = languageOf(req)
    try {
      if (!req.user) throw new AppError('billing.refund.forbidden', 401, language)
      if (!isStaff(req, 'admin')) throw new AppError('billing.refund.forbidden', 403, language)
      const id = Number(req.routeParams?.id)
      if (!Number.isInteger(id) || id <= 0) throw new AppError('billing.refund.not_found', 404, language)
      const raw = await req.json?.().catch(() => null)
      const body = RefundBody.safeParse(raw)
      if (!body.success) throw new AppError('billing.refund.invalid_body', 422, language)
      const actor = actorOf(req)
      const result = await refundPayment(req.payload, {
        paymentId: id,
        amount: body.data.amount,
        reason: body.data.reason,
        staffUserId: actor.kind === 'staff' ? Number(actor.id) : null,
        language,
      })
      const p = result.payment
      return Response.json({
        applied: result.applied,
        payment: { id: p.id, status: p.status, amount: p.amount, refundedAmount: p.refundedAmount, currency: p.currency, refundedAt: p.refundedAt ?? null },
        refund: { amount: result.amount, creditsReversed: result.creditsReversed, creditsShort: result.creditsShort, providerRefundId: result.providerRefundId },
      })
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error)
      throw error
    }
  },
}
