import { BlockList, isIP } from 'node:net'

import type { Payload } from 'payload'
import { z } from 'zod'

import { logger } from '../../lib/logger'
import { processOnce } from '../events'
import { findPayment, lockPayment, markPaymentStatus, settlePayment } from '../payments'
import { CURRENCIES, type Currency, type ProductRef } from './types'
import { processedOutcome } from './webhookEvents'
import { minorOf, YOOKASSA_NOTIFICATION_RANGES, YooKassaError, type YooKassaApi } from './yookassa'

/**
 * YooKassa's HTTP notifications (https://yookassa.ru/developers/using-api/webhooks) carry no
 * signature, so nothing in the body is believed: only the object's id is taken from it, the
 * payment (or refund) is read back from the API with our credentials, and what the API says is
 * applied, once per payment and status (`processOnce` keyed `payment.<status>:<id>`):
 *
 * - succeeded: the payment is settled (a pack's credits, a plan's month), amount and currency
 *   as the API reports them, checked against the pending row by `settlePayment`;
 * - canceled / waiting_for_capture: the pending payment follows;
 * - pending: nothing yet (the notification that matters comes later);
 * - a payment the API does not know (404) or that is not ours: nothing.
 *
 * Refunds are made from our admin (`refundPayment` records them); a `refund.succeeded` for a
 * refund made in YooKassa's dashboard is reported to staff in the log.
 */
export const Notification = z.object({
  type: z.literal('notification'),
  event: z.string().min(1).max(100),
  // YooKassa's ids are UUID-like (22e12f66-000f-5000-8000-18db351245c7); nothing else reaches a URL.
  object: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
})
export type Notification = z.infer<typeof Notification>

export type NotificationResult = { applied: boolean; outcome: string }

const log = () => logger().child({ provider: 'yookassa' })

function currencyOf(value: string): Currency | null {
  return (CURRENCIES as readonly string[]).includes(value) ? (value as Currency) : null
}

/** Re-reads an object; null when the API does not know it (the notification was not YooKassa's). */
async function readBack<T>(run: () => Promise<T>): Promise<T | null> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof YooKassaError && error.httpStatus === 404) return null
    throw error
  }
}

/** Throws when YooKassa could not be read or the database failed: the route answers 500 and YooKassa sends again. */
export async function applyYooKassaNotification(payload: Payload, api: YooKassaApi, notification: Notification): Promise<NotificationResult> {
  if (notification.event.startsWith('payment.')) {
    // A succeeded payment is final: once settled, repeats are answered without asking YooKassa.
    const settled = await processedOutcome(payload, 'yookassa', `payment.succeeded:${notification.object.id}`)
    if (settled !== null) return { applied: false, outcome: settled }
    const payment = await readBack(() => api.getPayment(notification.object.id))
    if (!payment) return { applied: false, outcome: 'ignored: unknown payment' }
    const status = payment.status
    if (status === 'pending') return { applied: false, outcome: 'ignored: still pending' }
    const result = await processOnce(payload, { provider: 'yookassa', eventId: `payment.${status}:${payment.id}`, type: `payment.${status}` }, async (tx) => {
      if (status !== 'succeeded') {
        const marked = await markPaymentStatus(payload, { provider: 'yookassa', providerPaymentId: payment.id, status }, tx)
        return marked.applied ? `applied: ${status}` : 'ignored: not pending here'
      }
      const currency = currencyOf(payment.amount.currency)
      if (!payment.paid || !currency) return 'ignored: not paid'
      // Our own metadata, as the API returns it: names the order when the webhook beat the pending row.
      const accountId = Number(payment.metadata?.accountId)
      const kind = payment.metadata?.productKind
      const code = payment.metadata?.productCode
      const order: { accountId?: number; product?: ProductRef } =
        Number.isInteger(accountId) && accountId > 0 && (kind === 'plan' || kind === 'pack') && code ? { accountId, product: { kind, code } } : {}
      if (order.accountId && !(await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, disableErrors: true, req: tx.req }))) {
        return 'ignored: unknown account'
      }
      const settled = await settlePayment(
        payload,
        {
          provider: 'yookassa',
          providerPaymentId: payment.id,
          amount: minorOf(payment.amount),
          currency,
          paidAt: new Date(payment.captured_at ?? payment.created_at),
          ...order,
          metadata: { test: payment.test ?? false },
        },
        tx,
      )
      return settled.applied ? `applied: ${settled.credits} credits` : `ignored: ${settled.reason}`
    })
    return { applied: result.applied, outcome: result.outcome ?? 'ignored: duplicate' }
  }

  if (notification.event.startsWith('refund.')) {
    const refund = await readBack(() => api.getRefund(notification.object.id))
    if (!refund) return { applied: false, outcome: 'ignored: unknown refund' }
    const result = await processOnce(payload, { provider: 'yookassa', eventId: `refund.${refund.status}:${refund.id}`, type: `refund.${refund.status}` }, async (tx) => {
      if (refund.status !== 'succeeded') return `ignored: refund ${refund.status}`
      const found = await findPayment(payload, 'yookassa', refund.payment_id)
      if (!found) return 'ignored: unknown payment'
      // Our own refund (refundPayment) may still hold the payment with its transaction open:
      // wait for it and read what it recorded, so it is not reported as made outside Postforge.
      await lockPayment(tx.db, 'yookassa', found.providerPaymentId)
      const payment = await payload.findByID({ collection: 'payments', id: found.id, depth: 0, req: tx.req })
      const refundedThere = minorOf((await api.getPayment(refund.payment_id)).refunded_amount ?? { value: '0', currency: refund.amount.currency })
      if ((payment.refundedAmount ?? 0) >= refundedThere) return 'ignored: refund already recorded'
      log().warn(
        { paymentId: payment.id, refundedHere: payment.refundedAmount ?? 0, refundedAtYooKassa: refundedThere },
        'a YooKassa payment was refunded outside Postforge: the payment and the ledger were not changed; take the credits back with an adjustment in the admin',
      )
      return 'needs staff: refunded outside Postforge'
    })
    return { applied: result.applied, outcome: result.outcome ?? 'ignored: duplicate' }
  }

  return { applied: false, outcome: `ignored: ${notification.event}` }
}

let ranges: BlockList | undefined

/** Whether an address is one YooKassa sends notifications from (its published list). */
export function isYooKassaAddress(address: string): boolean {
  if (!ranges) {
    ranges = new BlockList()
    for (const range of YOOKASSA_NOTIFICATION_RANGES) {
      const [network, bits] = range.split('/')
      ranges.addSubnet(network!, Number(bits), isIP(network!) === 6 ? 'ipv6' : 'ipv4')
    }
  }
  const plain = address.replace(/^::ffff:/, '')
  const family = isIP(plain)
  return family !== 0 && ranges.check(plain, family === 6 ? 'ipv6' : 'ipv4')
}
