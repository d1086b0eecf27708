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

type Walkable = { name: string; type: string; relationTo?: unknown; flattenedFields?: Walkable[]; blocks?: Array<{ flattenedFields: Walkable[] }> }

/**
 * Walks a dotted `where` path and answers the prefix naming a JSON field reached through a
 * relationship (`payment.metadata` in `payment.metadata.orderId`), or null. The database adapter
 * builds SQL for those that PostgreSQL refuses (42702 ambiguous column in jsonb_path_exists, 42883
 * through the joined query): a 500 before this. GraphQL's schema has no such paths.
 */
export function jsonThroughRelationship(payload: Payload, fields: Walkable[], path: string): string | null {
  const found = jsonOnPath(payload, fields, path)
  return found?.crossed ? found.field : null
}

/** The JSON field a dotted path reaches (its prefix) and whether it crossed a relationship to get there. */
export function jsonOnPath(payload: Payload, fields: Walkable[], path: string): { field: string; crossed: boolean } | null {
  const segments = path.split('.')
  let current: Walkable[] = fields
  let crossed = false
  for (let i = 0; i < segments.length; i++) {
    const field = current.find((candidate) => candidate.name === segments[i])
    if (!field) return null
    if (field.type === 'json' || field.type === 'richText') return { field: segments.slice(0, i + 1).join('.'), crossed }
    if (field.type === 'relationship' || field.type === 'upload') {
      if (typeof field.relationTo !== 'string') return null
      const target = payload.collections[field.relationTo as keyof typeof payload.collections]?.config
      if (!target) return null
      crossed = true
      current = target.flattenedFields as unknown as Walkable[]
      if (segments[i + 1] === 'value') i++
    } else if (field.type === 'group' || field.type === 'tab' || field.type === 'array') {
      current = field.flattenedFields ?? []
      if (field.type === 'array' && /^\d+$/.test(segments[i + 1] ?? '')) i++
    } else if (field.type === 'blocks') {
      current = (field.blocks ?? []).flatMap((block) => block.flattenedFields)
      if (/^\d+$/.test(segments[i + 1] ?? '')) i++
    } else return null
  }
  return null
}

/** What the adapter lets into a JSON path query (@payloadcms/drizzle escapeSQLValue: SAFE_STRING_REGEX). */
const JSON_QUERY_VALUE = /^[\w @.\-+:]*$/

/**
 * A value the adapter refuses inside a JSON field (its own untranslated 400, shown to customers
 * as "An unknown error occurred."), refused here in the caller's language. `in` takes a list
 * (`[in][0]=a&[in][1]=b`), not "a,b".
 */
function checkJsonValues(path: string, condition: Record<string, unknown>, language: string) {
  for (const value of Object.values(condition)) {
    const values = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [value]
    for (const item of values) {
      if (typeof item === 'string' && !JSON_QUERY_VALUE.test(item)) {
        throw new AppError('query.json_value', 400, language, { path, value: item.slice(0, 100) })
      }
    }
  }
}

/**
 * Every JSON field behind a relationship, per collection (one hop, groups included), from the
 * config: what the guard refuses, listed so tests cover fields added later.
 */
export function jsonPathsThroughRelationships(payload: Payload): Array<{ collection: string; path: string }> {
  const found: Array<{ collection: string; path: string }> = []
  const inside = (fields: Walkable[], prefix: string, out: string[]) => {
    for (const field of fields) {
      if (field.type === 'json' || field.type === 'richText') out.push(`${prefix}${field.name}`)
      else if (field.type === 'group' || field.type === 'tab') inside(field.flattenedFields ?? [], `${prefix}${field.name}.`, out)
    }
  }
  for (const { config } of Object.values(payload.collections)) {
    const walk = (fields: Walkable[], prefix: string) => {
      for (const field of fields) {
        if ((field.type === 'relationship' || field.type === 'upload') && typeof field.relationTo === 'string') {
          const target = payload.collections[field.relationTo as keyof typeof payload.collections]?.config
          const out: string[] = []
          if (target) inside(target.flattenedFields as unknown as Walkable[], `${prefix}${field.name}.`, out)
          for (const path of out) found.push({ collection: config.slug, path })
        } else if (field.type === 'group' || field.type === 'tab') walk(field.flattenedFields ?? [], `${prefix}${field.name}.`)
      }
    }
    walk(config.flattenedFields as unknown as Walkable[], '')
  }
  return found
}

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
    const json = collection ? jsonOnPath(payload, collection.flattenedFields as unknown as Walkable[], path) : null
    if (json?.crossed) throw new AppError('query.where_json_through_relationship', 400, language, { path })
    if (json) checkJsonValues(path, condition, language)
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
