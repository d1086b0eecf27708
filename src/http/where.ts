import type { Payload, SanitizedCollectionConfig } from 'payload'
import { validOperators } from 'payload/shared'

import { AppError } from './errors'

/** Operators @payloadcms/drizzle turns into PostGIS calls itself, outside its operator map. */
const GEO_OPERATORS = new Set(['near', 'within', 'intersects'])

/** The value shape a polymorphic relationship can be compared with: `{ relationTo, value }`. */
const POLYMORPHIC_VALUE_OPERATORS = new Set(['equals', 'not_equals'])

/**
 * Operators Payload accepts in `where` but the database adapter cannot run: Payload hands them
 * to `adapter.operators[operator]`, and `all` is missing there (a 500, "operators[P] is not a
 * function"). Read from the adapter, so a new adapter version that adds one is let through.
 */
export function unsupportedOperators(payload: Payload): Set<string> {
  const supported = (payload.db as { operators?: Record<string, unknown> }).operators
  if (!supported) return new Set()
  return new Set(validOperators.filter((operator) => !(operator in supported) && !GEO_OPERATORS.has(operator)))
}

export function refuseOperator(operator: string, language: string): never {
  throw new AppError('request.invalid', 400, language, { details: `the "${operator}" operator is not supported; use "in"` })
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

/**
 * Walks a `where` (JSON or built from `where[...]` query keys) for what fails inside the
 * database adapter instead of answering: operators it lacks, and a polymorphic relationship
 * compared with a bare id (the adapter throws "Not supported"; it needs `field.value`,
 * `field.relationTo` or `{ relationTo, value }`).
 */
export function checkWhere(
  where: unknown,
  payload: Payload,
  collection: SanitizedCollectionConfig | undefined,
  language: string,
  depth = 0,
) {
  if (!isObject(where) || depth > 20) return
  const unsupported = unsupportedOperators(payload)
  for (const [path, condition] of Object.entries(where)) {
    if (path === 'and' || path === 'or') {
      if (isObject(condition)) for (const item of Object.values(condition)) checkWhere(item, payload, collection, language, depth + 1)
      continue
    }
    if (!isObject(condition)) continue
    const field = collection?.flattenedFields.find((candidate) => candidate.name === path)
    const polymorphic = field && (field.type === 'relationship' || field.type === 'upload') && Array.isArray(field.relationTo)
    for (const [operator, value] of Object.entries(condition)) {
      if (unsupported.has(operator)) refuseOperator(operator, language)
      if (!polymorphic) continue
      if (POLYMORPHIC_VALUE_OPERATORS.has(operator) && isObject(value) && 'relationTo' in value && 'value' in value) continue
      throw new AppError('request.invalid', 400, language, {
        details: `"${path}" points to several collections: filter by ${path}.value and ${path}.relationTo, or compare with { relationTo, value }`,
      })
    }
  }
}

/**
 * The nested object qs would build from `where[a][b][c]=value` keys (segments as object keys;
 * without prototypes, so a `__proto__` segment is a plain key).
 */
export function whereFromQueryKeys(pairs: Array<[string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null)
  for (const [key, value] of pairs) {
    const segments = [...key.slice('where'.length).matchAll(/\[([^\]]*)\]/g)].map((match) => match[1])
    if (segments.length === 0) continue
    let node = root
    for (const [index, segment] of segments.entries()) {
      if (index === segments.length - 1) {
        if (!isObject(node[segment])) node[segment] = value
      } else {
        if (!isObject(node[segment])) node[segment] = Object.create(null)
        node = node[segment] as Record<string, unknown>
      }
    }
  }
  return root
}
