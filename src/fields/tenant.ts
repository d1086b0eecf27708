import type { Field, RelationshipField } from 'payload'

import { isStaff } from '../access/actors'

/** The owning account, copied from the project by the tenant hook; only staff may see it change. */
export function accountField(overrides: Partial<RelationshipField> = {}): Field {
  return {
    name: 'account',
    type: 'relationship',
    relationTo: 'accounts',
    required: true,
    index: true,
    access: { update: ({ req }) => isStaff(req, 'admin') },
    admin: { position: 'sidebar', readOnly: true, description: 'Set from the project.' },
    ...overrides,
  } as Field
}

export function projectField(overrides: Partial<RelationshipField> = {}): Field {
  return {
    name: 'project',
    type: 'relationship',
    relationTo: 'projects',
    required: true,
    index: true,
    admin: { position: 'sidebar' },
    ...overrides,
  } as Field
}
