import type { CollectionConfig } from 'payload'

import { isStaff } from '../access/actors'
import { staffOnly } from '../access/tenant'
import { guardBroadcastStatus, queueBroadcast, validateBroadcastHtml, validateHttpsUrl } from '../broadcasts/hooks'

const LANGUAGE_OPTIONS = [
  { label: 'Русский', value: 'ru' },
  { label: 'English', value: 'en' },
]

const HTML_HELP =
  'Sent as Telegram HTML: <b>bold</b>, <i>italic</i>, <u>underline</u>, <s>strike</s>, <a href="https://…">link</a>, <code>, <pre>, <blockquote>, <tg-spoiler>. ' +
  'Other tags are refused on save; write &lt; &gt; &amp; for a literal <, > or &.'

/**
 * An announcement to customers: a Russian and an English text (each customer reads the one of
 * their language), an optional link button, and a segment (plans, languages, activity). Staff
 * admins press "Send" (status draft → sending), which queues the `broadcast.send` job; it sends
 * paced within Telegram's limits, records each recipient (so a crash never sends twice) and
 * keeps the counts here until it sets `done`.
 */
export const Broadcasts: CollectionConfig = {
  slug: 'broadcasts',
  admin: {
    group: 'Support',
    useAsTitle: 'title',
    defaultColumns: ['title', 'status', 'sent', 'failed', 'blocked', 'startedAt'],
  },
  access: {
    read: staffOnly('admin', 'support'),
    create: staffOnly('admin'),
    update: staffOnly('admin'),
    delete: ({ req }) => isStaff(req, 'admin'),
  },
  hooks: {
    beforeChange: [guardBroadcastStatus],
    afterChange: [queueBroadcast],
  },
  fields: [
    { name: 'title', type: 'text', required: true, admin: { description: 'For staff only; customers never see it.' } },
    {
      name: 'textRu',
      type: 'textarea',
      required: true,
      maxLength: 4000,
      label: 'Text (Russian)',
      validate: validateBroadcastHtml,
      admin: { description: HTML_HELP },
    },
    { name: 'textEn', type: 'textarea', required: true, maxLength: 4000, label: 'Text (English)', validate: validateBroadcastHtml, admin: { description: HTML_HELP } },
    {
      name: 'button',
      type: 'group',
      admin: { description: 'Optional: a link button under the message (https only).' },
      fields: [
        { name: 'textRu', type: 'text', maxLength: 40, label: 'Label (Russian)' },
        { name: 'textEn', type: 'text', maxLength: 40, label: 'Label (English)' },
        { name: 'url', type: 'text', maxLength: 2000, validate: validateHttpsUrl },
      ],
    },
    {
      name: 'segment',
      type: 'group',
      admin: { description: 'Who receives it. Empty means everyone; customers who opted out or blocked the bot are always skipped.' },
      fields: [
        { name: 'plans', type: 'text', hasMany: true, admin: { description: 'Plan codes (e.g. free, pro); empty: every plan.' } },
        { name: 'languages', type: 'select', hasMany: true, options: LANGUAGE_OPTIONS, enumName: 'enum_broadcasts_segment_languages' },
        { name: 'activeWithinDays', type: 'number', min: 1, max: 3650, admin: { description: 'Only customers seen in the bot within this many days.' } },
      ],
    },
    {
      name: 'status',
      type: 'select',
      required: true,
      defaultValue: 'draft',
      enumName: 'enum_broadcasts_status',
      options: [
        { label: 'Draft', value: 'draft' },
        { label: 'Sending', value: 'sending' },
        { label: 'Done', value: 'done' },
      ],
      admin: {
        position: 'sidebar',
        components: { afterInput: ['/components/admin/BroadcastSendButton#BroadcastSendButton'] },
      },
    },
    { name: 'recipients', type: 'number', admin: { position: 'sidebar', readOnly: true }, access: { update: () => false, create: () => false } },
    { name: 'sent', type: 'number', admin: { position: 'sidebar', readOnly: true }, access: { update: () => false, create: () => false } },
    { name: 'failed', type: 'number', admin: { position: 'sidebar', readOnly: true }, access: { update: () => false, create: () => false } },
    { name: 'blocked', type: 'number', admin: { position: 'sidebar', readOnly: true, description: 'Customers who blocked the bot (marked on their account, skipped next time).' }, access: { update: () => false, create: () => false } },
    { name: 'unknown', type: 'number', admin: { position: 'sidebar', readOnly: true, description: 'In flight when a worker died: maybe delivered, never sent twice.' }, access: { update: () => false, create: () => false } },
    { name: 'startedAt', type: 'date', admin: { position: 'sidebar', readOnly: true }, access: { update: () => false, create: () => false } },
    { name: 'finishedAt', type: 'date', admin: { position: 'sidebar', readOnly: true }, access: { update: () => false, create: () => false } },
    { name: 'sentBy', type: 'relationship', relationTo: 'users', admin: { position: 'sidebar', readOnly: true } },
  ],
}
