import type { Field } from 'payload'

/**
 * A field the system owns: the AI pipeline's progress and output, derived numbers, workflow
 * bookkeeping. Nobody writes it through the API (REST, GraphQL, the admin, a Local API call made
 * for a user with overrideAccess:false): a changed value sent for it is refused (403
 * `field.forbidden`); the stored value sent back unchanged, as the admin's form does, passes. The worker and hooks
 * write it as the system (Local API with overrideAccess, or in a collection hook after field
 * access ran). Marked `custom.systemOwned` so tests can find every such field in the config.
 */
export function systemOwned<F extends Field>(field: F): F {
  const refuse = () => false
  const f = field as F & { access?: Record<string, unknown>; admin?: Record<string, unknown>; custom?: Record<string, unknown> }
  return {
    ...f,
    access: { ...f.access, create: refuse, update: refuse },
    admin: { ...f.admin, readOnly: true },
    custom: { ...f.custom, systemOwned: true },
  }
}
