import type { FieldAccess } from 'payload'

import { accountIdOf, actorOf, isStaff } from './actors'

const idOf = (value: unknown): unknown => (value && typeof value === 'object' && 'id' in value ? (value as { id: unknown }).id : value)

/**
 * Receipt contacts (a customer's email or phone for 54-FZ receipts) are personal data: staff read
 * them only as admin or support (editors work on content, not on people), a customer only their
 * own. `owner` says which account a row belongs to (the row itself for accounts, its `account`
 * for payments). Without a row (a where being checked) a customer may ask: the row's own access
 * already limits them to their own rows.
 */
export const receiptContactReadable =
  (owner: (doc: Record<string, unknown>) => unknown): FieldAccess =>
  ({ req, doc }) => {
    if (isStaff(req, 'admin', 'support')) return true
    const account = accountIdOf(req)
    if (account === null || actorOf(req).kind !== 'account') return false
    if (!doc) return true
    return String(idOf(owner(doc as Record<string, unknown>))) === String(account)
  }
