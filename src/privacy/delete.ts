import type { CollectionSlug, FlattenedField, Payload, PayloadRequest, Where } from 'payload'

import { forgetCachedAccount } from '../accounts/cache'
import { refundingProviderFor } from '../billing/providers'
import { syncSubscription } from '../billing/subscriptions'
import { logger } from '../lib/logger'
import { inTransaction } from '../jobs/addJob'
import type { Account } from '../payload-types'
import { accountCollections, retainedCollections } from './scope'

/** Set on the account's own row delete by `deleteAccount`, which removes and logs everything itself (see ./hooks). */
export const PRIVACY_DELETION = 'privacyDeletion'

/** Whether the account has billing records the law keeps (then deleting it leaves a tombstone). */
export async function hasRetainedRecords(payload: Payload, accountId: number, req?: Partial<PayloadRequest>): Promise<boolean> {
  for (const slug of retainedCollections(payload)) {
    const { totalDocs } = await payload.count({ collection: slug as CollectionSlug, where: { account: { equals: accountId } }, overrideAccess: true, req })
    if (totalDocs > 0) return true
  }
  return false
}

/** What an anonymous account row keeps: what billing needs to read it (plan, language for the books, zone). */
const TOMBSTONE_KEEPS = new Set(['id', 'telegramId', 'plan', 'language', 'timezone', 'status', 'createdAt', 'updatedAt', 'deletedAt'])

/** Every other field of the account emptied: names, contacts, API key, activity, whatever is added later. */
function emptiedAccountFields(payload: Payload): Record<string, unknown> {
  return emptied(payload.collections.accounts.config.flattenedFields, TOMBSTONE_KEEPS)
}

function emptied(fields: FlattenedField[], keep: Set<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    if (keep.has(field.name) || field.type === 'join') continue
    if (field.type === 'group' || field.type === 'tab') out[field.name] = emptied(field.flattenedFields)
    else if (field.type === 'array' || field.type === 'blocks') out[field.name] = []
    else out[field.name] = field.type === 'checkbox' ? false : null
  }
  return out
}

/** Contact details inside kept billing records (a `receipt` group's email or phone), emptied below the hooks. */
async function dropContacts(payload: Payload, slug: CollectionSlug, accountId: number, req: never) {
  const collection = payload.collections[slug].config
  const groups = collection.flattenedFields.filter((f) => f.type === 'group' && 'flattenedFields' in f && f.flattenedFields.some((s) => /email|phone/i.test(s.name)))
  if (groups.length === 0) return
  const data = Object.fromEntries(
    groups.map((g) => [g.name, Object.fromEntries(('flattenedFields' in g ? g.flattenedFields : []).filter((s) => /email|phone/i.test(s.name)).map((s) => [s.name, null]))]),
  )
  const rows = await payload.find({ collection: slug, where: { account: { equals: accountId } }, depth: 0, pagination: false, overrideAccess: true, req, select: {} })
  for (const row of rows.docs) await payload.db.updateOne({ collection: slug, id: row.id, data, req })
}

/**
 * A paid subscription of the account could not be ended at its provider (platform down, refused,
 * or the provider not configured here): the account is not deleted, so renewals never charge a
 * deleted account. The customer is told to try again or write to /support.
 */
export class SubscriptionNotEndedError extends Error {
  constructor(
    public readonly provider: string,
    cause: string,
  ) {
    super(`subscription at ${provider} could not be ended: ${cause}`)
    this.name = 'SubscriptionNotEndedError'
  }
}

/**
 * Ends every active or past-due subscription of the account at its provider (at once where the
 * platform can, else its renewal is stopped: Stars), then marks it canceled here. Runs before the
 * deletion; throws SubscriptionNotEndedError, deleting nothing, when a provider refuses.
 */
async function endSubscriptions(payload: Payload, account: Pick<Account, 'id' | 'telegramId'>): Promise<number> {
  const { docs } = await payload.find({
    collection: 'subscriptions',
    where: { and: [{ account: { equals: account.id } }, { status: { in: ['active', 'past_due'] } }] },
    depth: 0,
    pagination: false,
    overrideAccess: true,
  })
  for (const subscription of docs) {
    // A month paid once (`payment:<id>`, settlePayment: YooKassa sells plans so) renews nowhere.
    const recurring = !subscription.providerSubscriptionId.startsWith('payment:')
    const provider = recurring ? refundingProviderFor(subscription.provider) : null
    if (recurring && provider?.subscriptions !== false) {
      const end = provider?.endSubscriptionNow ?? provider?.cancelSubscription
      if (!provider || !end) throw new SubscriptionNotEndedError(subscription.provider, 'provider not configured here')
      try {
        await end.call(provider, { providerSubscriptionId: subscription.providerSubscriptionId, accountId: account.id, telegramId: account.telegramId })
      } catch (error) {
        logger().warn({ accountId: account.id, subscriptionId: subscription.id, provider: subscription.provider, err: (error as Error).message }, 'account deletion refused: subscription not ended')
        throw new SubscriptionNotEndedError(subscription.provider, (error as Error).message)
      }
    }
    await syncSubscription(payload, {
      provider: subscription.provider,
      subscriptionId: subscription.providerSubscriptionId,
      accountId: account.id,
      planCode: subscription.planCode,
      status: 'canceled',
      currentPeriodEnd: subscription.currentPeriodEnd ? new Date(subscription.currentPeriodEnd) : null,
      cancelAtPeriodEnd: true,
      eventCreatedAt: new Date(),
    })
  }
  return docs.length
}

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
 * the bot: /start makes a new account. Before anything is deleted, every paid subscription is ended
 * at its provider and marked canceled (`SubscriptionNotEndedError` when one cannot be: nothing deleted).
 */
export async function deleteAccount(
  payload: Payload,
  account: Pick<Account, 'id' | 'telegramId'>,
  by: { requestedBy: 'customer' | 'staff'; staffUserId?: number },
  /**
   * Inside a deletion of the account row already under way (the accounts beforeDelete hook): the
   * work joins that request's transaction and the row itself is left for that deletion. Refused
   * when the account has billing records (the hook anonymises those in a transaction of its own).
   */
  within?: { req: PayloadRequest },
): Promise<DeletionResult> {
  const id = account.id
  await endSubscriptions(payload, account)
  const retainedSlugs = retainedCollections(payload)
  const run = <T>(work: (tx: unknown) => Promise<T>): Promise<T> => (within ? work(within.req) : inTransaction(payload, work))
  const result = await run(async (tx) => {
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
    if (tombstone && within) throw new Error(`account ${id} has billing records: anonymise it in a transaction of its own`)
    if (tombstone) {
      // Kept records lose the contact details they carried (a receipt's email or phone).
      for (const slug of Object.keys(retained)) await dropContacts(payload, slug as CollectionSlug, id, req)
      await payload.update({
        collection: 'accounts',
        id,
        data: { ...emptiedAccountFields(payload), telegramId: -id, status: 'blocked', announcementsOff: true, deletedAt: new Date().toISOString() } as never,
        overrideAccess: true,
        depth: 0,
        req,
      })
    } else if (!within) {
      await payload.delete({ collection: 'accounts', id, overrideAccess: true, req, context: { [PRIVACY_DELETION]: true } })
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
