import type { Field, FieldAccess } from 'payload'

import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import { idOf } from '../lib/ids'

/** Key order and empty (null/absent) keys of a group do not count: the admin's form sends them its own way. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .flatMap((key) => ((value as Record<string, unknown>)[key] == null ? [] : [[key, canonical((value as Record<string, unknown>)[key])]])),
    )
  return value ?? null
}

function comparable(value: unknown): string {
  const id = value && typeof value === 'object' && !Array.isArray(value) && 'id' in value ? idOf(value) : undefined
  if (id !== undefined) return JSON.stringify(id)
  if (Array.isArray(value)) return JSON.stringify(value.map((v) => (v && typeof v === 'object' && 'id' in v ? idOf(v) : v)))
  return JSON.stringify(canonical(value))
}

/**
 * Payload drops a field the caller may not write and answers 200, so a customer who sends
 * `plan: "agency"` believes it worked. This wraps a field's create/update access: a denied field
 * sent with a value other than the one already stored (or its default, on create) is a 403 that
 * names the field. Sending the stored value back, as the admin's form does, stays allowed.
 */
function refuseLoudly(name: string, operation: 'create' | 'update', access: FieldAccess, defaultValue: unknown): FieldAccess {
  return async (args) => {
    if (await access(args)) return true
    const { siblingData, data, doc, req } = args
    if (!siblingData || siblingData[name] === undefined) return false
    // Nested rows carry no reference to their stored sibling here, so only top-level values compare.
    const stored = operation === 'create' ? defaultValue : siblingData === data ? doc?.[name] : undefined
    if (comparable(siblingData[name]) === comparable(stored)) return false
    throw new AppError('field.forbidden', 403, languageOf(req), { field: name })
  }
}

const wrapped = new WeakSet<FieldAccess>()

/**
 * Applies `refuseLoudly` to every field with create/update access, nested ones included, in the
 * sanitized config: the fields Payload adds itself (the API key of an auth collection) are there too.
 */
export function refuseDeniedWrites(fields: Field[]): void {
  for (const field of fields as (Field & Record<string, any>)[]) {
    if ('name' in field && field.access) {
      const defaultValue = typeof field.defaultValue === 'function' ? undefined : field.defaultValue
      for (const operation of ['create', 'update'] as const) {
        const access = field.access[operation] as FieldAccess | undefined
        if (!access || wrapped.has(access)) continue
        const loud = refuseLoudly(field.name, operation, access, defaultValue)
        wrapped.add(loud)
        field.access[operation] = loud
      }
    }
    if (Array.isArray(field.fields)) refuseDeniedWrites(field.fields)
    if (Array.isArray(field.tabs)) for (const tab of field.tabs) refuseDeniedWrites(tab.fields)
    if (Array.isArray(field.blocks)) for (const block of field.blocks) if (typeof block !== 'string') refuseDeniedWrites(block.fields)
  }
}
