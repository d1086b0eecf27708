import type { CollectionConfig } from 'payload'

import { nobody, ownRowsOr } from '../access/tenant'
import { WORKFLOW_STATUSES } from '../workflow/transitions'

const statusOptions = WORKFLOW_STATUSES.map((value) => ({ label: value, value }))

/** The audit trail of the review gate: who moved what, when, from where to where, and why. */
export const WorkflowEvents: CollectionConfig = {
  slug: 'workflow-events',
  admin: {
    defaultColumns: ['createdAt', 'document', 'from', 'to', 'actorKind', 'note'],
    group: 'Content',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: nobody,
    update: nobody,
    delete: nobody,
  },
  fields: [
    { name: 'document', type: 'relationship', relationTo: ['articles', 'posts'], required: true, index: true },
    { name: 'project', type: 'relationship', relationTo: 'projects', required: true, index: true },
    { name: 'account', type: 'relationship', relationTo: 'accounts', required: true, index: true },
    { name: 'from', type: 'select', required: true, enumName: 'enum_workflow_events_from', options: statusOptions },
    { name: 'to', type: 'select', required: true, enumName: 'enum_workflow_events_to', options: statusOptions },
    {
      name: 'actorKind',
      type: 'select',
      required: true,
      enumName: 'enum_workflow_events_actor_kind',
      options: ['staff', 'account', 'system'].map((value) => ({ label: value, value })),
    },
    { name: 'staffUser', type: 'relationship', relationTo: 'users' },
    { name: 'actorAccount', type: 'relationship', relationTo: 'accounts' },
    { name: 'note', type: 'textarea' },
  ],
}
