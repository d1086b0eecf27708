import type { CollectionConfig } from 'payload'

import { ownRowsOr, ownVersionsOr, staffOrAccount } from '../../access/tenant'
import { systemOwned } from '../../fields/systemOwned'
import { accountField, projectField } from '../../fields/tenant'
import { workflowFields } from '../../fields/workflow'
import type { Post } from '../../payload-types'
import { PLATFORMS, PLATFORM_TEXT_LIMITS } from '../../publishing/platforms'
import { moveEndpoint } from '../../workflow/endpoint'
import { enforceWorkflow, recordWorkflowEvents, type ContentField } from '../../workflow/hooks'
import { scopeToProject } from '../hooks/scopeToProject'

const CONTENT_FIELDS: ContentField<Post>[] = [
  { name: 'variants' },
  { name: 'media', relation: true },
  { name: 'article', relation: true },
]

export const Posts: CollectionConfig = {
  slug: 'posts',
  admin: {
    useAsTitle: 'title',
    defaultColumns: ['title', 'project', 'workflowStatus', 'updatedAt'],
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
  endpoints: [moveEndpoint('posts')],
  hooks: {
    beforeValidate: [scopeToProject],
    beforeChange: [enforceWorkflow('posts', CONTENT_FIELDS)],
    afterChange: [recordWorkflowEvents('posts')],
  },
  fields: [
    { name: 'title', type: 'text', required: true, maxLength: 200, admin: { description: 'Internal name.' } },
    projectField(),
    accountField(),
    ...workflowFields('posts'),
    {
      name: 'variants',
      type: 'array',
      minRows: 1,
      maxRows: PLATFORMS.length,
      admin: { description: 'The text for each platform, within its limits.' },
      fields: [
        {
          name: 'platform',
          type: 'select',
          required: true,
          enumName: 'enum_posts_variant_platform',
          options: PLATFORMS.map((value) => ({ label: value, value })),
        },
        {
          name: 'text',
          type: 'textarea',
          required: true,
          validate: (value: unknown, { siblingData }: { siblingData: { platform?: keyof typeof PLATFORM_TEXT_LIMITS } }) => {
            const limit = siblingData.platform ? PLATFORM_TEXT_LIMITS[siblingData.platform] : undefined
            if (typeof value !== 'string' || value.trim() === '') return 'Text is required.'
            return !limit || value.length <= limit ? true : `At most ${limit} characters for ${siblingData.platform} (now ${value.length}).`
          },
        },
      ],
    },
    { name: 'media', type: 'upload', relationTo: 'media', hasMany: true, maxRows: 10 },
    { name: 'article', type: 'relationship', relationTo: 'articles', admin: { description: 'The article this post promotes.' } },
    { name: 'keyword', type: 'relationship', relationTo: 'keywords', admin: { description: 'The keyword this post was written for.' } },
    systemOwned({
      name: 'imageNote',
      type: 'textarea',
      maxLength: 1000,
      admin: { description: 'Why the generated post has no image, when it has none.' },
    }),
  ],
}
