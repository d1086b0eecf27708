import type { CollectionBeforeOperationHook, FlattenedField } from 'payload'

import { languageOf } from '../../i18n/request'
import { AppError } from '../../http/errors'

const READS = new Set(['read', 'readDistinct'])

/** The first relationship or upload field a dotted path walks through before its last segment. */
export function relationshipOnPath(fields: FlattenedField[], path: string): string | null {
  const segments = path.split('.')
  let current: FlattenedField[] = fields
  for (let i = 0; i < segments.length - 1; i++) {
    const field = current.find((f) => f.name === segments[i])
    if (!field) return null
    if (field.type === 'relationship' || field.type === 'upload' || field.type === 'join') {
      return segments.slice(0, i + 1).join('.')
    }
    if (field.type === 'group' || field.type === 'tab' || field.type === 'array') current = field.flattenedFields
    else if (field.type === 'blocks') current = field.blocks.flatMap((b) => b.flattenedFields)
    else return null
    if (field.type === 'array' || field.type === 'blocks') {
      if (/^\d+$/.test(segments[i + 1] ?? '')) i++
    }
  }
  return null
}

/**
 * Sorting by a related document's field orders rows by data the caller may not read (the
 * related collection's access is not applied to ORDER BY), so a list sorted by
 * `mainKeyword.phrase` would spell out another tenant's keyword one comparison at a time.
 * Filters are restricted by Payload itself; sorts through a relationship are refused for every
 * caller subject to access control.
 */
export const sortWithinDocument: CollectionBeforeOperationHook = ({ args, collection, operation, overrideAccess, req }) => {
  const sort = (args as { sort?: unknown } | undefined)?.sort
  if (!READS.has(operation) || overrideAccess === true || !sort) return args
  const sorts: string[] = (Array.isArray(sort) ? sort : String(sort).split(','))
    .map((s: unknown) => String(s).trim().replace(/^-/, '').replace(/__/g, '.'))
    .filter(Boolean)
  for (const requested of sorts) {
    // Versions (also a 'read') keep the document's fields under `version`.
    const path = collection.versions ? requested.replace(/^version\./, '') : requested
    const crossing = relationshipOnPath(collection.flattenedFields, path)
    if (crossing) throw new AppError('query.sort_through_relationship', 400, languageOf(req), { path: requested })
  }
  return args
}
