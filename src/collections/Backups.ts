import type { CollectionConfig } from 'payload'

import { nobody, staffOnly } from '../access/tenant'

export const BACKUP_STATUSES = ['running', 'succeeded', 'failed'] as const

/**
 * One row per backup run (src/ops/backup.ts): when it started and finished, the files it wrote
 * and how it ended. Written only by the worker; staff read it, nobody edits it (a record that
 * could be changed would not prove a backup ran).
 */
export const Backups: CollectionConfig = {
  slug: 'backups',
  admin: {
    useAsTitle: 'file',
    defaultColumns: ['startedAt', 'status', 'file', 'sizeBytes', 'mediaFile', 'finishedAt', 'error'],
    group: 'Operations',
    description: 'Database dumps (pg_dump, custom format) and media archives; restore with `npm run restore -- <file>` (docs/runbook.md).',
  },
  defaultSort: '-startedAt',
  access: { read: staffOnly('admin', 'editor', 'support'), create: nobody, update: nobody, delete: nobody },
  fields: [
    { name: 'startedAt', type: 'date', required: true, index: true, admin: { date: { pickerAppearance: 'dayAndTime' } } },
    { name: 'finishedAt', type: 'date', index: true, admin: { date: { pickerAppearance: 'dayAndTime' } } },
    {
      name: 'status',
      type: 'select',
      required: true,
      index: true,
      defaultValue: 'running',
      enumName: 'enum_backups_status',
      options: BACKUP_STATUSES.map((value) => ({ label: value, value })),
    },
    { name: 'file', type: 'text', admin: { description: 'The database dump (pg_dump --format=custom), full path.' } },
    { name: 'sizeBytes', type: 'number' },
    { name: 'mediaFile', type: 'text', admin: { description: 'The tar of MEDIA_DIR next to the dump (empty: no media files).' } },
    { name: 'mediaSizeBytes', type: 'number' },
    { name: 'durationMs', type: 'number' },
    { name: 'error', type: 'textarea', admin: { description: 'Why it failed, in pg_dump\'s or tar\'s words.' } },
    {
      name: 'removedAt',
      type: 'date',
      admin: { description: 'When retention (BACKUP_KEEP, BACKUP_MAX_AGE_DAYS) deleted its files.' },
    },
  ],
}
