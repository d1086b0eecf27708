import type { CollectionAfterChangeHook, CollectionBeforeChangeHook, CollectionConfig } from 'payload'

import { accountIdOf } from '../access/actors'
import { ownRowsOr, staffOnly } from '../access/tenant'
import { accountField, projectField } from '../fields/tenant'
import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import { idOf } from '../lib/ids'
import type { Publication } from '../payload-types'
import { addJob } from '../jobs/addJob'
import { t } from '../i18n'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { PUBLISHABLE_STATUSES } from '../workflow/transitions'
import { scopeToProject } from './hooks/scopeToProject'
import { contentFollowsDecision, decideUnconfirmed } from './hooks/unconfirmedDecision'

export const PUBLICATION_STATUSES = ['queued', 'publishing', 'published', 'failed', 'unconfirmed', 'cancelled'] as const

/** Sent again: a failed one, or an unconfirmed one whose customer accepts a possible second copy. */
const isRetry = (data: { status?: unknown }, originalDoc?: { status?: unknown }) =>
  data.status === 'queued' && (originalDoc?.status === 'failed' || originalDoc?.status === 'unconfirmed')

/**
 * Exactly one content item, approved, and a dedupe key so an item goes to a connection once.
 * Sending one again ("Publish again") sends the content as it is now, so it must still be what
 * was approved: content edited back into review waits for its approval.
 */
const checkContent: CollectionBeforeChangeHook<Publication> = async ({ data, originalDoc, operation, req }) => {
  const language = languageOf(req)
  const article = idOf(data.article ?? originalDoc?.article)
  const post = idOf(data.post ?? originalDoc?.post)
  if ((article === null) === (post === null)) throw new AppError('publication.one_content', 422, language)
  const connection = idOf(data.connection ?? originalDoc?.connection)
  data.dedupeKey = article !== null ? `article:${article}:${connection}` : `post:${post}:${connection}`
  // Whose content it is was settled by the ownership check every relationship passes
  // (hooks/ownedReferences.ts): an unknown or another project's item never gets here.
  const retry = operation === 'update' && isRetry(data, originalDoc)
  if (operation !== 'create' && !retry) return data
  const content = await req.payload.findByID({
    collection: article !== null ? 'articles' : 'posts',
    id: (article ?? post) as number,
    depth: 0,
    req,
    overrideAccess: true,
  })
  if (!retry && !PUBLISHABLE_STATUSES.includes(content.workflowStatus)) throw new AppError('publication.not_approved', 409, language)
  if (retry && !PUBLISHABLE_STATUSES.includes(content.workflowStatus)) {
    throw new AppError('publication.back_in_review', 409, language, { status: t(language, `status.${content.workflowStatus}`) })
  }
  return data
}

/** Planning a publication for approved content (or sending one again) marks the content scheduled. */
const markContentScheduled: CollectionAfterChangeHook<Publication> = async ({ doc, previousDoc, operation, req }) => {
  if (operation !== 'create' && !isRetry(doc, previousDoc)) return doc
  const collection = doc.article ? 'articles' : 'posts'
  const id = idOf(doc.article ?? doc.post)
  const content = await req.payload.findByID({ collection, id: id!, depth: 0, req, overrideAccess: true })
  if (content.workflowStatus === 'approved') {
    await req.payload.update({ collection, id: id!, data: { workflowStatus: 'scheduled' }, req, context: SYSTEM_CONTEXT, overrideAccess: true })
  }
  return doc
}

/**
 * A customer may cancel a queued publication, send a failed or unconfirmed one again, or say an
 * unconfirmed one did go out; nothing else.
 */
const accountMayOnlyCancelOrRetry: CollectionBeforeChangeHook<Publication> = ({ data, originalDoc, operation, req }) => {
  if (operation !== 'update' || !originalDoc || accountIdOf(req) === null) return data
  const before: Record<string, unknown> = { ...originalDoc }
  const changed = Object.entries(data)
    .filter(([key, value]) => !['updatedAt', 'createdAt', 'id'].includes(key) && JSON.stringify(value) !== JSON.stringify(before[key]))
    .map(([key]) => key)
  const cancelling = data.status === 'cancelled' && originalDoc.status === 'queued'
  const confirming = data.status === 'published' && originalDoc.status === 'unconfirmed'
  if (!(cancelling || confirming || isRetry(data, originalDoc)) || changed.some((key) => key !== 'status')) {
    throw new AppError('publication.account_change', 403, languageOf(req))
  }
  return data
}

/** Sending a publication again (customer or staff) starts it afresh, due now. */
const restartRetried: CollectionBeforeChangeHook<Publication> = ({ data, originalDoc, operation }) => {
  if (operation !== 'update' || !originalDoc || !isRetry(data, originalDoc)) return data
  const now = new Date()
  const planned = originalDoc.plannedAt ? new Date(originalDoc.plannedAt) : now
  return { ...data, attempts: 0, plannedAt: (planned < now ? now : planned).toISOString() }
}

/**
 * A queued publication's publish job, due at its instant: added on the write's own transaction
 * (the outbox), so the job exists exactly when the publication does; the worker sees the row
 * the moment it sees the job. Created queued, or sent again (due now at the earliest).
 */
const enqueuePublish: CollectionAfterChangeHook<Publication> = async ({ doc, previousDoc, operation, req }) => {
  const created = operation === 'create' && doc.status === 'queued'
  if (!created && !(operation === 'update' && isRetry(doc, previousDoc))) return doc
  await addJob('publication.publish', { publicationId: doc.id }, { req, runAt: new Date(doc.plannedAt) })
  return doc
}

/**
 * One content item on one connection at one instant (UTC). Every publication ends published,
 * failed with a reason, unconfirmed (checked by a person or a read-only lookup), or cancelled.
 */
export const Publications: CollectionConfig = {
  slug: 'publications',
  admin: {
    useAsTitle: 'dedupeKey',
    defaultColumns: ['plannedAt', 'status', 'connection', 'article', 'post', 'attempts', 'lastError'],
    group: 'Publishing',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOnly('admin', 'editor'),
    update: ownRowsOr('admin', 'editor'),
    delete: staffOnly('admin'),
  },
  hooks: {
    beforeValidate: [scopeToProject],
    beforeChange: [accountMayOnlyCancelOrRetry, decideUnconfirmed, restartRetried, checkContent],
    afterChange: [markContentScheduled, enqueuePublish, contentFollowsDecision],
  },
  fields: [
    projectField(),
    accountField(),
    { name: 'connection', type: 'relationship', relationTo: 'connections', required: true, index: true },
    { name: 'article', type: 'relationship', relationTo: 'articles', index: true },
    { name: 'post', type: 'relationship', relationTo: 'posts', index: true },
    { name: 'schedule', type: 'relationship', relationTo: 'schedules' },
    { name: 'dedupeKey', type: 'text', unique: true, admin: { readOnly: true } },
    {
      name: 'slotKey',
      type: 'text',
      unique: true,
      admin: { readOnly: true, description: 'The schedule slot this fills (schedule:connection:instant); a slot is filled once.' },
    },
    {
      name: 'plannedAt',
      type: 'date',
      required: true,
      index: true,
      admin: { date: { pickerAppearance: 'dayAndTime' }, description: 'Stored in UTC; shown in your time zone.' },
    },
    {
      name: 'status',
      type: 'select',
      required: true,
      defaultValue: 'queued',
      index: true,
      enumName: 'enum_publications_status',
      options: PUBLICATION_STATUSES.map((value) => ({ label: value, value })),
      admin: { position: 'sidebar' },
    },
    { name: 'attempts', type: 'number', defaultValue: 0, admin: { position: 'sidebar', readOnly: true } },
    {
      name: 'marker',
      type: 'text',
      admin: {
        readOnly: true,
        description: 'Random, set once before the first call: what a lookup recognises our post by on the platform.',
      },
    },
    {
      name: 'sentAt',
      type: 'date',
      admin: { readOnly: true, description: 'When the first call to the platform started; a lookup accepts only posts made after it.' },
    },
    { name: 'remoteId', type: 'text', admin: { readOnly: true } },
    { name: 'remoteUrl', type: 'text', admin: { readOnly: true } },
    {
      name: 'lastError',
      type: 'textarea',
      admin: { readOnly: true, description: 'What went wrong and what to do, in words a customer understands.' },
    },
    {
      name: 'history',
      type: 'array',
      admin: { readOnly: true },
      fields: [
        { name: 'at', type: 'date', required: true },
        {
          name: 'status',
          type: 'select',
          required: true,
          enumName: 'enum_publications_history_status',
          options: PUBLICATION_STATUSES.map((value) => ({ label: value, value })),
        },
        { name: 'message', type: 'text' },
      ],
    },
  ],
}
