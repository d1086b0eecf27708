import type { Field } from 'payload'

import { systemOwned } from './systemOwned'
import { WORKFLOW_STATUSES } from '../workflow/transitions'

/** Workflow status, the reviewer's latest note and when the item last entered review. */
export function workflowFields(enumPrefix: string): Field[] {
  return [
    {
      name: 'workflowStatus',
      type: 'select',
      enumName: `enum_${enumPrefix}_workflow_status`,
      required: true,
      defaultValue: 'draft',
      index: true,
      options: WORKFLOW_STATUSES.map((value) => ({ label: value.replace('_', ' '), value })),
      admin: { position: 'sidebar' },
    },
    {
      name: 'reviewNote',
      type: 'textarea',
      maxLength: 2000,
      admin: { position: 'sidebar', description: 'What the reviewer wants changed.' },
    },
    systemOwned({
      name: 'submittedAt',
      type: 'date',
      index: true,
      admin: { position: 'sidebar', date: { pickerAppearance: 'dayAndTime' } },
    }),
  ]
}
