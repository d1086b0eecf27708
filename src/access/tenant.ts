import type { Access, Where } from 'payload'

import { accountIdOf, isStaff, type StaffRole } from './actors'

function ownedBy(key: string, roles: StaffRole[]): Access {
  return ({ req }) => {
    if (isStaff(req, ...roles)) return true
    const accountId = accountIdOf(req)
    if (accountId === null) return false
    const where: Where = { [key]: { equals: accountId } }
    return where
  }
}

/**
 * Row-level scoping shared by every customer-owned collection: staff with one of `roles` see
 * everything, an account sees the rows whose `account` is itself, anyone else nothing.
 * Returning a Where (not a boolean) makes REST, GraphQL, the admin and the Local API agree.
 */
export const ownRowsOr = (...roles: StaffRole[]): Access => ownedBy('account', roles)

/**
 * The same scoping for a collection's versions: a version row keeps the document's fields under
 * `version`, so an account sees the versions of its own documents and nothing else.
 */
export const ownVersionsOr = (...roles: StaffRole[]): Access => ownedBy('version.account', roles)

export function staffOnly(...roles: StaffRole[]): Access {
  return ({ req }) => isStaff(req, ...roles)
}

/** Any staff or any signed-in account; the tenant hook then checks the target project. */
export function staffOrAccount(...roles: StaffRole[]): Access {
  return ({ req }) => isStaff(req, ...roles) || accountIdOf(req) !== null
}

export const nobody: Access = () => false
