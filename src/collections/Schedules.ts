import type { CollectionBeforeChangeHook, CollectionConfig } from 'payload'

import { ownRowsOr, staffOrAccount } from '../access/tenant'
import { accountField, projectField } from '../fields/tenant'
import { languageOf } from '../i18n/request'
import type { Schedule } from '../payload-types'
import { AppError } from '../http/errors'
import { scopeToProject } from './hooks/scopeToProject'

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

const cadenceIsComplete: CollectionBeforeChangeHook<Schedule> = ({ data, originalDoc, req }) => {
  const merged = { ...originalDoc, ...data }
  const language = languageOf(req)
  if (merged.cadence === 'slots' && !((merged.slots?.length ?? 0) > 0)) throw new AppError('schedule.slots_required', 422, language)
  if (merged.cadence === 'interval' && !((merged.intervalMinutes ?? 0) >= 60)) {
    throw new AppError('schedule.interval_required', 422, language)
  }
  if (merged.startsAt && merged.endsAt && new Date(merged.endsAt) <= new Date(merged.startsAt)) {
    throw new AppError('schedule.dates', 422, language)
  }
  return data
}

/** When and where a project's approved content goes out; times are in the project's time zone. */
export const Schedules: CollectionConfig = {
  slug: 'schedules',
  admin: {
    useAsTitle: 'name',
    defaultColumns: ['name', 'project', 'cadence', 'active', 'updatedAt'],
    group: 'Publishing',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: ownRowsOr('admin', 'editor'),
  },
  hooks: {
    beforeValidate: [scopeToProject],
    beforeChange: [cadenceIsComplete],
  },
  fields: [
    { name: 'name', type: 'text', required: true, maxLength: 120 },
    projectField(),
    accountField(),
    { name: 'connections', type: 'relationship', relationTo: 'connections', hasMany: true, required: true, minRows: 1 },
    {
      name: 'contentKind',
      type: 'select',
      required: true,
      defaultValue: 'both',
      enumName: 'enum_schedules_content_kind',
      options: ['articles', 'posts', 'both'].map((value) => ({ label: value, value })),
    },
    {
      name: 'cadence',
      type: 'select',
      required: true,
      defaultValue: 'slots',
      enumName: 'enum_schedules_cadence',
      options: [
        { label: 'Weekly time slots', value: 'slots' },
        { label: 'Every N minutes', value: 'interval' },
      ],
    },
    {
      name: 'slots',
      type: 'array',
      maxRows: 100,
      admin: { condition: (_, sibling) => sibling.cadence === 'slots' },
      fields: [
        {
          type: 'row',
          fields: [
            {
              name: 'weekday',
              type: 'select',
              required: true,
              enumName: 'enum_schedules_slot_weekday',
              options: WEEKDAYS.map((value) => ({ label: value, value })),
            },
            {
              name: 'time',
              type: 'text',
              required: true,
              validate: (v: unknown) =>
                (typeof v === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(v)) || 'Use HH:MM, e.g. 09:30',
            },
          ],
        },
      ],
    },
    {
      name: 'intervalMinutes',
      type: 'number',
      min: 60,
      max: 60 * 24 * 30,
      admin: { condition: (_, sibling) => sibling.cadence === 'interval' },
    },
    { name: 'active', type: 'checkbox', defaultValue: true, admin: { position: 'sidebar' } },
    { name: 'startsAt', type: 'date', admin: { position: 'sidebar', date: { pickerAppearance: 'dayAndTime' } } },
    { name: 'endsAt', type: 'date', admin: { position: 'sidebar', date: { pickerAppearance: 'dayAndTime' } } },
  ],
}
