import type { CollectionSlug, Payload, SanitizedCollectionConfig } from 'payload'

/**
 * Billing records the law makes us keep after a customer deletes their account: payment and
 * ledger entries are accounting documents (Russia: 402-FZ art. 29 and the Tax Code art. 23 —
 * 5 years; 54-FZ receipts; GDPR art. 17(3)(b) allows keeping what a legal obligation requires).
 * They stay, linked to an anonymised account row (no name, username or Telegram id). See
 * docs/data-rights.md.
 */
export const RETAINED_FOR_BILLING = ['payments', 'credit-ledger', 'billing-events', 'subscriptions'] as const

const hasTop = (c: SanitizedCollectionConfig, name: string, relationTo: string) =>
  c.flattenedFields.some((f) => f.name === name && f.type === 'relationship' && f.relationTo === relationTo)

/** Collections holding the account's data, read from the config: an `account` or a `project` relationship. */
export type OwnedCollection = { slug: CollectionSlug; key: 'account' | 'project' | 'self' }

export function accountCollections(payload: Payload): OwnedCollection[] {
  return payload.config.collections.flatMap((c): OwnedCollection[] => {
    const slug = c.slug as CollectionSlug
    if (slug === 'accounts') return [{ slug, key: 'self' }]
    if (slug === 'projects' || hasTop(c, 'account', 'accounts')) return [{ slug, key: 'account' }]
    if (hasTop(c, 'project', 'projects')) return [{ slug, key: 'project' }]
    return []
  })
}

/** The retained billing collections this installation has (with an `account` relationship). */
export function retainedCollections(payload: Payload): CollectionSlug[] {
  return RETAINED_FOR_BILLING.filter((slug) => {
    const collection = payload.config.collections.find((c) => c.slug === slug)
    return collection !== undefined && hasTop(collection, 'account', 'accounts')
  }) as CollectionSlug[]
}
