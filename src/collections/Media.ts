import path from 'node:path'

import type { CollectionConfig } from 'payload'

import { ownRowsOr, staffOrAccount } from '../access/tenant'
import { accountField, projectField } from '../fields/tenant'
import { env } from '../lib/env'
import type { Media as MediaDoc } from '../payload-types'
import { reviewUsersOnChange, reviewUsersOnDelete } from '../workflow/hooks'
import { systemOwned } from '../fields/systemOwned'
import { scopeToProject } from './hooks/scopeToProject'

export const Media: CollectionConfig = {
  slug: 'media',
  admin: { useAsTitle: 'alt', defaultColumns: ['filename', 'alt', 'project', 'createdAt'], group: 'Content' },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: ownRowsOr('admin', 'editor'),
  },
  // A new file (any of its stored properties), its alt text, any field added later, or its
  // deletion changes what approved content publishes.
  hooks: {
    beforeValidate: [scopeToProject],
    beforeDelete: [reviewUsersOnDelete],
    afterChange: [reviewUsersOnChange<MediaDoc>()],
  },
  upload: {
    staticDir: path.resolve(/*turbopackIgnore: true*/ process.cwd(), env().MEDIA_DIR),
    mimeTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
    imageSizes: [{ name: 'thumbnail', width: 400, height: 400, position: 'centre' }],
    adminThumbnail: 'thumbnail',
  },
  fields: [
    { name: 'alt', type: 'text', required: true, maxLength: 300 },
    systemOwned({ name: 'generatedFrom', type: 'textarea', maxLength: 2000, admin: { description: 'The prompt of an AI-generated image.' } }),
    projectField(),
    accountField(),
  ],
}
