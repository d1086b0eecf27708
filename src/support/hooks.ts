import type { CollectionAfterChangeHook, CollectionBeforeValidateHook } from 'payload'

import { actorOf } from '../access/actors'
import { AppError } from '../http/errors'
import { languageOf } from '../i18n/request'
import { idOf } from '../lib/ids'
import { notice } from '../notify'
import { SUPPORT_MESSAGES_PER_WINDOW, SUPPORT_WINDOW_SECONDS, takeSupportSlot } from './rateLimit'

/** Set by the bot (src/support/messages.ts) for a photo the customer sent: photoFileId is the system's to write. */
export const SUPPORT_PHOTO_CONTEXT = 'supportPhotoFileId'

/**
 * Who wrote a support message decides what it is, whatever the request says: a customer writes
 * only into their own thread, only as `in`, and it waits unread; a staff member's message is a
 * reply (`out`) signed with their user. A message with neither text nor photo is refused.
 */
export const settleSupportAuthor: CollectionBeforeValidateHook = async ({ context, data, operation, req }) => {
  if (!data || operation !== 'create') return data
  const actor = actorOf(req)
  // Field access ran before this hook: the API cannot set photoFileId (system-owned); the bot's
  // photo arrives through the Local API's context.
  const photo = context?.[SUPPORT_PHOTO_CONTEXT]
  if (typeof photo === 'string' && photo) data.photoFileId = photo
  if (actor.kind === 'account') {
    data.account = Number(actor.id)
    data.direction = 'in'
    data.unread = true
    delete data.staffUser
    delete data.readAt
    delete data.deliveredAt
    delete data.deliveryError
  } else if (actor.kind === 'staff') {
    data.direction ??= 'out'
    if (data.direction === 'out') {
      data.staffUser = actor.id
      data.unread = false
    }
  } else if (data.direction === 'in') {
    data.unread ??= true
  }
  const text = typeof data.text === 'string' ? data.text.trim() : ''
  if (!text && !data.photoFileId) throw new AppError('support.empty', 422, languageOf(req))
  if (typeof data.text === 'string') data.text = text
  if (actor.kind === 'account') {
    // Customers cannot flood the inbox: SUPPORT_MESSAGES_PER_WINDOW per account per window, on every face.
    const slot = await takeSupportSlot(actor.id)
    if (!slot.ok) {
      const refusal = new AppError('support.rate_limited', 429, languageOf(req), {
        limit: SUPPORT_MESSAGES_PER_WINDOW,
        window: SUPPORT_WINDOW_SECONDS / 60,
        minutes: Math.ceil(slot.retryAfterSeconds / 60),
      })
      Object.assign(refusal.data, { retryAfterSeconds: slot.retryAfterSeconds, firstRefusal: slot.firstRefusal })
      throw refusal
    }
  }
  return data
}

/**
 * A staff reply goes to the customer's chat through the notice outbox, in the reply's own
 * transaction (a reply that rolls back is never sent); answering a thread also marks the
 * customer's waiting messages read.
 */
export const queueStaffReply: CollectionAfterChangeHook = async ({ doc, operation, req }) => {
  if (operation !== 'create' || doc.direction !== 'out') return doc
  const accountId = Number(idOf(doc.account))
  await notice(req, { accountId, event: 'support.reply', data: { messageId: doc.id, text: String(doc.text ?? '') } })
  await req.payload.update({
    collection: 'support-messages',
    where: { and: [{ account: { equals: accountId } }, { unread: { equals: true } }] },
    data: { unread: false, readAt: new Date().toISOString() },
    overrideAccess: true,
    depth: 0,
    req,
  })
  return doc
}
