import type { CollectionConfig } from 'payload'

import { staffOnly } from '../access/tenant'

/**
 * Prompt templates staff edit, versioned. Several active variants of one task and language are
 * picked by weight; each AI run records the variant that ran, so approval rates can be compared.
 * Seeded from src/ai/prompts/*.md.
 */
export const Prompts: CollectionConfig = {
  slug: 'prompts',
  admin: { useAsTitle: 'name', defaultColumns: ['name', 'task', 'language', 'variant', 'weight', 'active'], group: 'AI' },
  versions: { maxPerDoc: 50 },
  access: {
    read: staffOnly('admin', 'editor', 'support'),
    readVersions: staffOnly('admin', 'editor', 'support'),
    create: staffOnly('admin', 'editor'),
    update: staffOnly('admin', 'editor'),
    delete: staffOnly('admin'),
  },
  indexes: [{ fields: ['task', 'language', 'variant'], unique: true }],
  fields: [
    { name: 'name', type: 'text', required: true },
    { name: 'task', type: 'text', required: true, index: true },
    {
      name: 'language',
      type: 'select',
      required: true,
      defaultValue: 'ru',
      enumName: 'enum_prompts_language',
      options: [
        { label: 'Русский', value: 'ru' },
        { label: 'English', value: 'en' },
      ],
    },
    { name: 'variant', type: 'text', required: true, defaultValue: 'a', maxLength: 40 },
    { name: 'weight', type: 'number', required: true, defaultValue: 1, min: 0, max: 100 },
    { name: 'active', type: 'checkbox', defaultValue: true },
    {
      name: 'template',
      type: 'code',
      required: true,
      admin: { language: 'markdown', description: 'Use {{variable}} placeholders, e.g. {{project.name}}, {{keyword}}.' },
    },
  ],
}
