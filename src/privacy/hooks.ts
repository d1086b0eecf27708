import type { CollectionBeforeDeleteHook } from 'payload'

import { actorOf } from '../access/actors'
import { AppError } from '../http/errors'
import { languageOf } from '../i18n/request'
import { deleteAccount, PRIVACY_DELETION, SubscriptionNotEndedError, hasRetainedRecords } from './delete'

export { PRIVACY_DELETION } from './delete'

/**
 * An account deleted another way (an admin in the admin panel, DELETE /api/accounts/:id, a bulk
 * delete) goes through the same `deleteAccount` as a customer's own deletion, logged as staff:
 * paid subscriptions ended at their provider, everything the account owns deleted, billing
 * records kept and anonymised.
 * - No billing records: the data goes in this request's transaction and Payload then deletes the
 *   row itself (200, as before).
 * - Billing records the law keeps: the account is anonymised (in its own, committed transaction)
 *   and the plain row delete is refused with 409 `privacy.staff_anonymised`, because deleting the
 *   row would cut the payments' link to it. The account is then an anonymous, blocked tombstone.
 * Must run first among the account's beforeDelete hooks (nothing else holds locks yet).
 */
export const deleteAccountOwnData: CollectionBeforeDeleteHook = async ({ id, req, context }) => {
  if (context?.[PRIVACY_DELETION]) return
  const account = await req.payload.findByID({ collection: 'accounts', id, depth: 0, overrideAccess: true, req, select: { telegramId: true } })
  const actor = actorOf(req)
  const by = { requestedBy: 'staff' as const, staffUserId: actor.kind === 'staff' ? Number(actor.id) : undefined }
  const language = languageOf(req)
  try {
    if (await hasRetainedRecords(req.payload, account.id, req)) {
      await deleteAccount(req.payload, account, by)
      throw new AppError('privacy.staff_anonymised', 409, language, { id: account.id })
    }
    await deleteAccount(req.payload, account, by, { req })
  } catch (error) {
    if (error instanceof SubscriptionNotEndedError) throw new AppError('privacy.staff_subscription_failed', 409, language, { provider: error.provider })
    throw error
  }
}
