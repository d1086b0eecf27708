import type { CollectionBeforeChangeHook, CollectionConfig } from 'payload'

import { ownRowsOr, ownVersionsOr, staffOrAccount } from '../../access/tenant'
import { systemOwned } from '../../fields/systemOwned'
import { accountField, projectField } from '../../fields/tenant'
import { workflowFields } from '../../fields/workflow'
import { countWords, lexicalToPlainText, slugify } from '../../lib/text'
import type { Article } from '../../payload-types'
import { moveEndpoint } from '../../workflow/endpoint'
import { enforceWorkflow, recordWorkflowEvents, type ContentField } from '../../workflow/hooks'
import { scopeToProject } from '../hooks/scopeToProject'
import { holdWhileGenerating } from './hooks/holdWhileGenerating'
import { reviseOnChangeRequest } from './hooks/reviseOnChangeRequest'
import { articleGenerationFields, LENGTH_PRESETS } from './generationFields'

const CONTENT_FIELDS: ContentField<Article>[] = [
  { name: 'title' },
  { name: 'slug' },
  { name: 'metaTitle' },
  { name: 'metaDescription' },
  { name: 'excerpt' },
  { name: 'outline' },
  { name: 'body' },
  { name: 'faq' },
  { name: 'mainKeyword', relation: true },
  { name: 'secondaryKeywords', relation: true },
  { name: 'images', relation: true },
]

const deriveFields: CollectionBeforeChangeHook<Article> = ({ data }) => {
  if (!data.slug && typeof data.title === 'string') data.slug = slugify(data.title)
  if ('body' in data) data.wordCount = countWords(lexicalToPlainText(data.body))
  return data
}

export const Articles: CollectionConfig = {
  slug: 'articles',
  admin: {
    useAsTitle: 'title',
    defaultColumns: ['title', 'project', 'workflowStatus', 'wordCount', 'updatedAt'],
    group: 'Content',
  },
  versions: { maxPerDoc: 100 },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    readVersions: ownVersionsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: ownRowsOr('admin', 'editor'),
  },
  endpoints: [moveEndpoint('articles')],
  hooks: {
    beforeValidate: [scopeToProject],
    beforeChange: [deriveFields, holdWhileGenerating, enforceWorkflow('articles', CONTENT_FIELDS)],
    afterChange: [recordWorkflowEvents('articles'), reviseOnChangeRequest],
  },
  fields: [
    { name: 'title', type: 'text', required: true, maxLength: 200 },
    projectField(),
    accountField(),
    ...workflowFields('articles'),
    {
      type: 'tabs',
      tabs: [
        {
          label: 'Content',
          fields: [
            { name: 'excerpt', type: 'textarea', maxLength: 500 },
            {
              name: 'outline',
              type: 'array',
              maxRows: 60,
              fields: [
                {
                  type: 'row',
                  fields: [
                    {
                      name: 'level',
                      type: 'select',
                      defaultValue: 'h2',
                      enumName: 'enum_articles_outline_level',
                      options: ['h2', 'h3'].map((value) => ({ label: value, value })),
                    },
                    { name: 'heading', type: 'text', required: true, maxLength: 200 },
                  ],
                },
                { name: 'notes', type: 'textarea', maxLength: 1000 },
              ],
            },
            { name: 'body', type: 'richText' },
            {
              name: 'faq',
              type: 'array',
              maxRows: 20,
              fields: [
                { name: 'question', type: 'text', required: true, maxLength: 300 },
                { name: 'answer', type: 'textarea', required: true, maxLength: 2000 },
              ],
            },
            { name: 'images', type: 'upload', relationTo: 'media', hasMany: true, maxRows: 20 },
          ],
        },
        {
          label: 'SEO',
          fields: [
            { name: 'slug', type: 'text', maxLength: 100, index: true },
            { name: 'metaTitle', type: 'text', maxLength: 60 },
            { name: 'metaDescription', type: 'textarea', maxLength: 160 },
            { name: 'mainKeyword', type: 'relationship', relationTo: 'keywords' },
            { name: 'secondaryKeywords', type: 'relationship', relationTo: 'keywords', hasMany: true, maxRows: 20 },
          ],
        },
      ],
    },
    {
      name: 'language',
      type: 'select',
      defaultValue: 'ru',
      enumName: 'enum_articles_language',
      options: [
        { label: 'Русский', value: 'ru' },
        { label: 'English', value: 'en' },
      ],
      admin: { position: 'sidebar' },
    },
    systemOwned({ name: 'wordCount', type: 'number', defaultValue: 0, admin: { position: 'sidebar' } }),
    {
      name: 'lengthPreset',
      type: 'select',
      defaultValue: 'medium',
      enumName: 'enum_articles_length_preset',
      options: LENGTH_PRESETS.map((value) => ({ label: value, value })),
      admin: { position: 'sidebar', description: 'short ≈ 800, medium ≈ 1,500, long ≈ 3,000, xlong 5,000+ words.' },
    },
    ...articleGenerationFields,
  ],
}
