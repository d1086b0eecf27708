import type { CollectionBeforeValidateHook, CollectionConfig } from 'payload'

import { ownRowsOr, staffOrAccount } from '../access/tenant'
import { accountField, projectField } from '../fields/tenant'
import { normalizePhrase } from '../lib/text'
import type { Keyword } from '../payload-types'
import { reviewUsersOnChange, reviewUsersOnDelete } from '../workflow/hooks'
import { scopeToProject } from './hooks/scopeToProject'

const normalize: CollectionBeforeValidateHook<Keyword> = ({ data }) => {
  if (data && typeof data.phrase === 'string') {
    data.phrase = data.phrase.trim().replace(/\s+/g, ' ')
    data.normalizedPhrase = normalizePhrase(data.phrase)
  }
  return data
}

export const Keywords: CollectionConfig = {
  slug: 'keywords',
  admin: {
    useAsTitle: 'phrase',
    defaultColumns: ['phrase', 'project', 'cluster', 'intent', 'priority', 'status'],
    group: 'Content',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: ownRowsOr('admin', 'editor'),
  },
  // The phrase becomes tags and SEO text of approved content, the cluster its blog category (and
  // so on for any field added later); status and priority are planning bookkeeping.
  hooks: {
    beforeValidate: [scopeToProject, normalize],
    afterChange: [reviewUsersOnChange<Keyword>(['status', 'priority'])],
    beforeDelete: [reviewUsersOnDelete],
  },
  indexes: [{ fields: ['project', 'normalizedPhrase'], unique: true }],
  fields: [
    { name: 'phrase', type: 'text', required: true, minLength: 2, maxLength: 200 },
    { name: 'normalizedPhrase', type: 'text', required: true, admin: { hidden: true } },
    projectField(),
    accountField(),
    { name: 'cluster', type: 'text', maxLength: 200, index: true },
    {
      name: 'intent',
      type: 'select',
      enumName: 'enum_keywords_intent',
      options: ['informational', 'commercial', 'transactional', 'navigational'].map((value) => ({ label: value, value })),
    },
    { name: 'priority', type: 'number', min: 1, max: 5, defaultValue: 3 },
    {
      name: 'status',
      type: 'select',
      required: true,
      defaultValue: 'new',
      enumName: 'enum_keywords_status',
      options: ['new', 'planned', 'used', 'discarded'].map((value) => ({ label: value, value })),
    },
    {
      name: 'source',
      type: 'select',
      required: true,
      defaultValue: 'ai',
      enumName: 'enum_keywords_source',
      options: ['survey', 'ai', 'import'].map((value) => ({ label: value, value })),
    },
  ],
}
