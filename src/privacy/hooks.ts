import type { CollectionBeforeDeleteHook } from 'payload'

import { actorOf } from '../access/actors'

/** Set by `deleteAccount`, which removes and logs everything itself. */
export const PRIVACY_DELETION = 'privacyDeletion'

/**
 * An account deleted another way (an admin in the admin panel, the API): its support thread and
 * announcement records go with it (they would otherwise block the delete or outlive it), and the
 * deletion is logged like a customer's own. Billing records stay; their link is emptied by the
 * database (the billing collections' `account` is nullable for that).
 */
export const deleteAccountOwnData: CollectionBeforeDeleteHook = async ({ id, req, context }) => {
  if (context?.[PRIVACY_DELETION]) return
  const support = await req.payload.delete({ collection: 'support-messages', where: { account: { equals: id } }, overrideAccess: true, req })
  const deliveries = await req.payload.delete({ collection: 'broadcast-deliveries', where: { recipient: { equals: id } }, overrideAccess: true, req })
  const actor = actorOf(req)
  await req.payload.create({
    collection: 'account-deletions',
    data: {
      accountId: Number(id),
      requestedBy: 'staff',
      staffUser: actor.kind === 'staff' ? Number(actor.id) : undefined,
      removed: { 'support-messages': support.docs.length, 'broadcast-deliveries': deliveries.docs.length },
      tombstone: false,
    },
    overrideAccess: true,
    req,
  })
}
