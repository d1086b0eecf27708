import type { CollectionSlug, Payload, Where } from 'payload'

import type { Account } from '../payload-types'
import { accountCollections, retainedCollections } from './scope'

/**
 * Keys never exported, whatever collection they appear in: credentials (sealed or hinted), API
 * keys, passwords, tokens and secrets. Connections' credentials are unreadable by any API anyway;
 * this is the second lock.
 */
const SECRET_KEY = /^(credentials|credentialsHint|apiKey|apiKeyIndex|enableAPIKey|password|salt|hash|resetPasswordToken|resetPasswordExpiration|loginAttempts|lockUntil|sessions)$|token|secret/i

export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !SECRET_KEY.test(key))
        .map(([key, v]) => [key, withoutSecrets(v)]),
    )
  }
  return value
}

export type AccountExport = {
  format: 'postforge-export/1'
  exportedAt: string
  accountId: number
  /** Every collection's documents of the account, keyed by collection, secrets removed. */
  data: Record<string, unknown[]>
}

const PAGE = 500

/**
 * Everything the account owns, read as the account (access enforced, so nothing of anyone else
 * can come along): the account itself, projects and all that hangs off them, support messages,
 * and billing records. Which collections is read from the config, so one added later is
 * exported without editing this. Billing collections the customer cannot read over the API are
 * read by their `account` only.
 */
export async function exportAccountData(payload: Payload, account: Account): Promise<AccountExport> {
  const user = { ...account, collection: 'accounts' as const }
  const retained = new Set<string>(retainedCollections(payload))
  const data: Record<string, unknown[]> = {}
  for (const { slug, key } of accountCollections(payload)) {
    const where: Where = key === 'self' ? { id: { equals: account.id } } : key === 'account' ? { account: { equals: account.id } } : {}
    const docs: unknown[] = []
    try {
      for (let page = 1; ; page++) {
        const result = await payload.find({ collection: slug, where, depth: 0, limit: PAGE, page, user, overrideAccess: false, sort: 'id' })
        docs.push(...result.docs)
        if (!result.hasNextPage) break
      }
    } catch (error) {
      // The customer may not read this collection over the API: billing records are theirs all the
      // same (read by their account only); anything else stays out.
      if ((error as { status?: number }).status !== 403) throw error
      if (!retained.has(slug)) continue
      const result = await payload.find({ collection: slug as CollectionSlug, where: { account: { equals: account.id } }, depth: 0, pagination: false, overrideAccess: true })
      docs.push(...result.docs)
    }
    data[slug] = withoutSecrets(docs) as unknown[]
  }
  return { format: 'postforge-export/1', exportedAt: new Date().toISOString(), accountId: account.id, data }
}
