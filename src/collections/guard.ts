import type { Access, CollectionConfig, SanitizedConfig } from 'payload'

import { isStaff } from '../access/actors'
import { refuseDeniedWrites } from '../access/deniedWrites'
import { ownedReferences } from './hooks/ownedReferences'
import { sortWithinDocument } from './hooks/sortWithinDocument'

/**
 * Tenant isolation applied to every collection from the config itself, so a collection or field
 * added later is guarded without anyone remembering to: the ownership check on every
 * relationship and upload value (run last among the beforeValidate hooks, after the tenant hooks
 * have settled the document's project and account), no sorting through relationships, and no
 * versions without their own read rule.
 */
export function guardTenancy(collections: CollectionConfig[]): CollectionConfig[] {
  return collections.map((collection) => {
    if (collection.versions && !collection.access?.readVersions) {
      throw new Error(`Collection "${collection.slug}" keeps versions but sets no access.readVersions`)
    }
    return {
      ...collection,
      hooks: {
        ...collection.hooks,
        beforeOperation: [...(collection.hooks?.beforeOperation ?? []), sortWithinDocument],
        beforeValidate: [...(collection.hooks?.beforeValidate ?? []), ownedReferences],
      },
    }
  })
}

/**
 * What only exists once Payload has sanitized the config: its own collections and fields. Denied
 * field writes are refused out loud everywhere, the API-key fields Payload adds to auth
 * collections included. Document locks would let any signed-in account read which documents
 * staff are editing and lock (point at) another tenant's documents; accounts never use the
 * admin, so locks are staff-only.
 */
export async function guardPayloadCollections(config: Promise<SanitizedConfig>): Promise<SanitizedConfig> {
  const sanitized = await config
  for (const collection of sanitized.collections) refuseDeniedWrites(collection.fields)
  const locks = sanitized.collections.find((c) => c.slug === 'payload-locked-documents')
  if (locks) {
    const staff: Access = ({ req }) => isStaff(req)
    locks.access = { ...locks.access, read: staff, create: staff, update: staff, delete: staff }
  }
  return sanitized
}
