import type { CollectionSlug, Payload, Where } from 'payload'

import { forgetCachedAccount } from '../accounts/cache'
import { inTransaction } from '../jobs/addJob'
import type { Account } from '../payload-types'
import { accountCollections, retainedCollections } from './scope'

export type DeletionResult = {
  removed: Record<string, number>
  retained: Record<string, number>
  /** The account row stays, anonymised, because billing records point at it. */
  tombstone: boolean
}

/**
 * Deletes a customer's account and everything it owns, in one transaction: projects (and through
 * them keywords, content, media files, connections, schedules, publications, history), support
 * messages, AI run records, announcement deliveries. Billing records the law keeps
 * (RETAINED_FOR_BILLING) stay; when there are any, the account row stays too as an anonymous
 * tombstone (no name, username or Telegram id; blocked), so those records keep their link. The
 * deletion is logged in `account-deletions` (counts only). The Telegram user is then unknown to
 * the bot: /start makes a new account.
 */
export async function deleteAccount(
  payload: Payload,
  account: Pick<Account, 'id' | 'telegramId'>,
  by: { requestedBy: 'customer' | 'staff'; staffUserId?: number },
): Promise<DeletionResult> {
  const id = account.id
  const retainedSlugs = retainedCollections(payload)
  const result = await inTransaction(payload, async (tx) => {
    const req = tx as never
    const projectIds = (
      await payload.find({ collection: 'projects', where: { account: { equals: id } }, depth: 0, pagination: false, overrideAccess: true, req, select: {} })
    ).docs.map((p) => p.id)
    const removed: Record<string, number> = {}
    const owned = accountCollections(payload).filter((c) => c.key !== 'self' && !retainedSlugs.includes(c.slug))
    for (const { slug, key } of owned) {
      const where: Where = key === 'account' ? { account: { equals: id } } : { project: { in: projectIds.length ? projectIds : [0] } }
      const { totalDocs } = await payload.count({ collection: slug, where, overrideAccess: true, req })
      if (totalDocs > 0) removed[slug] = totalDocs
    }
    // Projects first: their hook deletes what hangs off them in order; then what the account owns directly.
    await payload.delete({ collection: 'projects', where: { account: { equals: id } }, overrideAccess: true, req })
    for (const { slug, key } of owned) {
      if (key !== 'account' || slug === 'projects') continue
      await payload.delete({ collection: slug, where: { account: { equals: id } }, overrideAccess: true, req })
    }
    const deliveries = await payload.delete({ collection: 'broadcast-deliveries', where: { recipient: { equals: id } }, overrideAccess: true, req })
    if (deliveries.docs.length > 0) removed['broadcast-deliveries'] = deliveries.docs.length

    const retained: Record<string, number> = {}
    for (const slug of retainedSlugs) {
      const { totalDocs } = await payload.count({ collection: slug as CollectionSlug, where: { account: { equals: id } }, overrideAccess: true, req })
      if (totalDocs > 0) retained[slug] = totalDocs
    }
    const tombstone = Object.keys(retained).length > 0
    if (tombstone) {
      await payload.update({
        collection: 'accounts',
        id,
        data: {
          telegramId: -id,
          username: null,
          displayName: null,
          status: 'blocked',
          enableAPIKey: false,
          apiKey: null,
          announcementsOff: true,
          verifiedHumanAt: null,
          botBlockedAt: null,
          deletedAt: new Date().toISOString(),
        } as never,
        overrideAccess: true,
        depth: 0,
        req,
      })
    } else {
      await payload.delete({ collection: 'accounts', id, overrideAccess: true, req })
    }
    await payload.create({
      collection: 'account-deletions',
      data: { accountId: id, requestedBy: by.requestedBy, staffUser: by.staffUserId, removed, retained, tombstone },
      overrideAccess: true,
      req,
    })
    return { removed, retained, tombstone }
  })
  // The bot's cache of the Telegram id (the tombstone's hooks forget the new, negative one).
  await forgetCachedAccount({ doc: { telegramId: account.telegramId } } as never)
  return result
}
