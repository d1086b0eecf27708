import type { CollectionBeforeValidateHook, CollectionConfig } from 'payload'

import { accountIdOf, isStaff } from '../../access/actors'
import { ownRowsOr, staffOrAccount } from '../../access/tenant'
import { accountField } from '../../fields/tenant'
import { timezoneField } from '../../fields/timezone'
import { deleteProjectContent } from '../hooks/cascadeDelete'
import type { Project } from '../../payload-types'
import { withinPlan } from '../../usage/enforce'
import { REVIEW_POLICIES } from '../../workflow/transitions'

/** An account creates projects for itself and can never hand one to another account. */
const ownedByActingAccount: CollectionBeforeValidateHook<Project> = ({ data, operation, originalDoc, req }) => {
  if (!data) return data
  const accountId = accountIdOf(req)
  // Set on create; on an update the stored owner stays (ids are PostgreSQL serials: numbers).
  if (accountId !== null) data.account = operation === 'create' ? Number(accountId) : originalDoc?.account
  return data
}

export const Projects: CollectionConfig = {
  slug: 'projects',
  admin: {
    useAsTitle: 'name',
    defaultColumns: ['name', 'account', 'siteUrl', 'reviewPolicy', 'updatedAt'],
    group: 'Content',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: ownRowsOr('admin'),
  },
  hooks: { beforeValidate: [ownedByActingAccount], beforeChange: [withinPlan('projects')], beforeDelete: [deleteProjectContent] },
  fields: [
    { name: 'name', type: 'text', required: true, maxLength: 120 },
    accountField({ access: { update: ({ req }) => isStaff(req, 'admin') } }),
    {
      type: 'row',
      fields: [
        { name: 'niche', type: 'text', maxLength: 200 },
        {
          name: 'language',
          type: 'select',
          required: true,
          defaultValue: 'ru',
          enumName: 'enum_projects_language',
          options: [
            { label: 'Русский', value: 'ru' },
            { label: 'English', value: 'en' },
          ],
        },
        timezoneField(),
      ],
    },
    { name: 'description', type: 'textarea', maxLength: 4000 },
    { name: 'audience', type: 'textarea', maxLength: 2000 },
    { name: 'toneOfVoice', type: 'textarea', maxLength: 1000 },
    { name: 'siteUrl', type: 'text', maxLength: 500, validate: validateUrl },
    {
      name: 'competitorUrls',
      type: 'array',
      maxRows: 10,
      fields: [{ name: 'url', type: 'text', required: true, maxLength: 500, validate: validateUrl }],
    },
    {
      name: 'surveyAnswers',
      type: 'array',
      maxRows: 30,
      admin: { description: 'Answers from the keyword survey in the bot.' },
      fields: [
        { name: 'question', type: 'text', required: true, maxLength: 500 },
        { name: 'answer', type: 'textarea', required: true, maxLength: 2000 },
      ],
    },
    {
      name: 'reviewPolicy',
      type: 'select',
      required: true,
      defaultValue: 'staff',
      enumName: 'enum_projects_review_policy',
      options: REVIEW_POLICIES.map((value) => ({ label: value, value })),
      // The policy decides who may approve, so only staff set it: a customer choosing `owner` or
      // `automatic` would approve its own content.
      access: { create: ({ req }) => isStaff(req, 'admin', 'editor'), update: ({ req }) => isStaff(req, 'admin', 'editor') },
      admin: {
        position: 'sidebar',
        description: 'Who approves content before it is published: Postforge staff, the owner, or nobody (automatic).',
      },
    },
  ],
}

function validateUrl(value: unknown): true | string {
  if (value === null || value === undefined || value === '') return true
  try {
    const url = new URL(String(value))
    return url.protocol === 'http:' || url.protocol === 'https:' ? true : 'Use an http(s) address.'
  } catch {
    return 'Not a valid address, e.g. https://example.com'
  }
}
