import type { Field, FieldAccess } from 'payload'

import { languageOf } from '../i18n/request'
import { AppError } from '../lib/errors'
import { idOf } from '../lib/ids'

function comparable(value: unknown): string {
  const id = value && typeof value === 'object' && !Array.isArray(value) && 'id' in value ? idOf(value) : undefined
  if (id !== undefined) return JSON.stringify(id)
  if (Array.isArray(value)) return JSON.stringify(value.map((v) => (v && typeof v === 'object' && 'id' in v ? idOf(v) : v)))
  return JSON.stringify(value ?? null)
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

/** Applies `refuseLoudly` to every field with create/update access, nested ones included. */
export function refuseDeniedWrites(fields: Field[]): Field[] {
  return fields.map((field) => {
    const next = { ...field } as Field & Record<string, any>
    if ('name' in next && next.access) {
      const defaultValue = typeof next.defaultValue === 'function' ? undefined : next.defaultValue
      next.access = { ...next.access }
      for (const operation of ['create', 'update'] as const) {
        const access = next.access[operation]
        if (access) next.access[operation] = refuseLoudly(next.name, operation, access, defaultValue)
      }
    }
    if (Array.isArray(next.fields)) next.fields = refuseDeniedWrites(next.fields)
    if (Array.isArray(next.tabs)) next.tabs = next.tabs.map((tab: { fields: Field[] }) => ({ ...tab, fields: refuseDeniedWrites(tab.fields) }))
    if (Array.isArray(next.blocks)) {
      next.blocks = next.blocks.map((block: unknown) =>
        typeof block === 'string' ? block : { ...(block as object), fields: refuseDeniedWrites((block as { fields: Field[] }).fields) },
      )
    }
    return next as Field
  })
}
