import type { Account } from '../payload-types'

/**
 * Local API options for acting as a customer account: its access rules and the collections'
 * hooks apply exactly as over REST, so an id that belongs to another account never reaches data.
 */
export function actingAs(account: Account) {
  return { user: { ...account, collection: 'accounts' as const }, overrideAccess: false as const }
}
