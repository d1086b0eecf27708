import config from '@payload-config'
import { getPayload } from 'payload'

import { yookassaApi } from '../../../../billing/providers/yookassa'
import { applyYooKassaNotification, isYooKassaAddress, Notification } from '../../../../billing/providers/yookassaWebhook'
import { clientAddress } from '../../../../http/clientAddress'
import { env } from '../../../../lib/env'
import { logger } from '../../../../lib/logger'
import { reportError } from '../../../../lib/telemetry/errors'
import { timedRoute } from '../../../../lib/telemetry/http'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** A notification is one payment or refund object: a few kilobytes. */
const MAX_BODY_BYTES = 256 * 1024

const answer = (status: number, body: Record<string, unknown> = {}) => Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } })

/**
 * YooKassa's HTTP notifications (register `<SERVER_URL>/api/billing/yookassa` in the shop's
 * settings, "HTTP-уведомления", for payment.succeeded, payment.canceled and refund.succeeded).
 * Nothing in the body is trusted: the payment is re-read from the API and that is applied (see
 * src/billing/providers/yookassaWebhook.ts). Answered 200 whenever the notification is settled,
 * ignored or a repeat; 500 only when YooKassa or the database could not be reached, so YooKassa
 * sends it again (it retries for 24 hours). With YOOKASSA_CHECK_IP, other addresses get 403.
 */
export const POST = timedRoute('/api/billing/yookassa', async (request: Request): Promise<Response> => {
  const settings = env()
  if (!settings.YOOKASSA_SHOP_ID || !settings.YOOKASSA_SECRET_KEY) return answer(404, { error: 'yookassa is not configured' })
  const log = logger().child({ provider: 'yookassa', via: 'webhook' })
  if (settings.YOOKASSA_CHECK_IP && !isYooKassaAddress(clientAddress(request))) {
    log.warn({ address: clientAddress(request) }, 'yookassa notification from an address outside its published ranges refused')
    return answer(403, { error: 'forbidden' })
  }
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return answer(413, { error: 'too large' })
  const text = await request.text()
  if (text.length > MAX_BODY_BYTES) return answer(413, { error: 'too large' })
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const notification = Notification.safeParse(body)
  if (!notification.success) return answer(400, { error: 'not a YooKassa notification' })

  try {
    const result = await applyYooKassaNotification(await getPayload({ config }), yookassaApi(), notification.data)
    log.info({ event: notification.data.event, objectId: notification.data.object.id, ...result }, 'yookassa notification')
    return answer(200)
  } catch (error) {
    const ref = reportError(error, { tags: { route: '/api/billing/yookassa', yookassa_object: notification.data.object.id } })
    log.error({ event: notification.data.event, objectId: notification.data.object.id, err: error, ref }, 'yookassa notification not applied: YooKassa will send it again')
    return answer(500, { error: 'not applied, retry later' })
  }
})
