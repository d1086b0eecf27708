import type { Access, CollectionConfig, Field, FieldAccess } from 'payload'

import { accountIdOf, isStaff } from '../access/actors'
import { secureCookies } from '../http/cookies'
import { timezoneField } from '../fields/timezone'
import { forgetCachedAccount, forgetDeletedAccount } from '../accounts/cache'
import { cachedApiKeyStrategy, forgetApiKeysOnChange, forgetApiKeysOnDelete } from '../access/apiKeys'
import { systemOwned } from '../fields/systemOwned'
import { deleteAccountProjects } from './hooks/cascadeDelete'
import { deleteAccountOwnData } from '../privacy/hooks'
import { planCodeOrDefault } from './hooks/planCode'
import { receiptContactReadable } from '../access/receipts' // AF2

/** An account reads and edits itself; a blocked one (no actor at all) nothing. */
const self: Access = ({ req }) => {
  const accountId = accountIdOf(req)
  return accountId === null ? false : { id: { equals: accountId } }
}

/**
 * An API key is a credential: whoever sets it can act as the customer. Payload lets anyone with
 * admin-panel access set it (support included), so only admins may; these merge into the fields
 * Payload adds for `useAPIKey` (its hooks and read rules stay).
 */
const adminOnly: FieldAccess = ({ req }) => isStaff(req, 'admin')
const credentialFields: Field[] = [
  { name: 'enableAPIKey', type: 'checkbox', access: { create: adminOnly, update: adminOnly } },
  { name: 'apiKey', type: 'text', access: { create: adminOnly, update: adminOnly } },
  { name: 'apiKeyIndex', type: 'text', access: { create: adminOnly, update: adminOnly } },
]

/**
 * End customers, one per Telegram user. They authenticate with an API key over REST/GraphQL and
 * act through the bot; they never sign into the admin panel.
 */
export const Accounts: CollectionConfig = {
  slug: 'accounts',
  admin: {
    useAsTitle: 'displayName',
    defaultColumns: ['displayName', 'telegramId', 'plan', 'status', 'createdAt'],
    group: 'Customers',
  },
  // API keys are checked through a short-lived cache with explicit invalidation (src/access/apiKeys.ts),
  // ahead of Payload's own api-key strategy; the strategy also records the account's activity (O6).
  auth: { useAPIKey: true, disableLocalStrategy: true, strategies: [cachedApiKeyStrategy], cookies: { secure: secureCookies() } },
  hooks: {
    beforeDelete: [deleteAccountOwnData /* O8: first — staff deletion is deleteAccount (src/privacy/hooks.ts) */, deleteAccountProjects],
    // Any change (key revoked or replaced, account blocked) forgets the account's cached API keys at once.
    afterChange: [forgetCachedAccount, forgetApiKeysOnChange],
    afterDelete: [forgetDeletedAccount, forgetApiKeysOnDelete],
  },
  access: {
    admin: () => false,
    read: ({ req }) => (isStaff(req) ? true : self({ req })),
    create: ({ req }) => isStaff(req, 'admin', 'support'),
    update: ({ req }) => (isStaff(req, 'admin', 'support') ? true : self({ req })),
    delete: ({ req }) => isStaff(req, 'admin'),
  },
  fields: [
    ...credentialFields,
    // Observability (O6): the last bot update or API-key request, written by the system at most
    // once a minute (src/accounts/lastSeen.ts); staff read it (DAU/MAU), nobody writes it.
    systemOwned({
      name: 'lastSeenAt',
      type: 'date',
      index: true,
      access: { read: ({ req }) => isStaff(req) },
      admin: { position: 'sidebar', description: 'Last activity in the bot or through the API (updated at most once a minute).' },
    }),
    { name: 'telegramId', type: 'number', required: true, unique: true, index: true, access: { update: () => false } },
    { name: 'username', type: 'text' },
    { name: 'displayName', type: 'text' },
    {
      name: 'language',
      type: 'select',
      required: true,
      defaultValue: 'ru',
      enumName: 'enum_accounts_language',
      options: [
        { label: 'Русский', value: 'ru' },
        { label: 'English', value: 'en' },
      ],
    },
    timezoneField(),
    // Plans and limits (B1): the code of a row of `plans`, which staff add in the admin.
    {
      name: 'plan',
      type: 'text',
      required: true,
      index: true,
      access: { create: ({ req }) => isStaff(req, 'admin'), update: ({ req }) => isStaff(req, 'admin') },
      hooks: { beforeValidate: [planCodeOrDefault] },
      admin: { description: 'Plan code (Billing → Plans), e.g. free, starter, pro, agency. Empty on a new account: the default plan.' },
    },
    {
      name: 'status',
      type: 'select',
      required: true,
      defaultValue: 'active',
      enumName: 'enum_accounts_status',
      options: [
        { label: 'Active', value: 'active' },
        { label: 'Blocked', value: 'blocked' },
      ],
      access: { update: ({ req }) => isStaff(req, 'admin', 'support') },
    },
    {
      name: 'verifiedHumanAt',
      type: 'date',
      access: { update: ({ req }) => isStaff(req, 'admin') },
      admin: { readOnly: true, description: 'When the account passed the human check in the bot.' },
    },
    // Staff tools (O8): announcements, a bot the customer blocked, and deletion (src/broadcasts, src/privacy).
    {
      name: 'announcementsOff',
      type: 'checkbox',
      defaultValue: false,
      admin: { description: 'The customer opted out of announcements (bot settings or the Unsubscribe button).' },
    },
    {
      name: 'botBlockedAt',
      type: 'date',
      access: { update: ({ req }) => isStaff(req, 'admin') },
      admin: { readOnly: true, description: 'Telegram said the customer blocked the bot; announcements skip them until they write again.' },
    },
    {
      name: 'deletedAt',
      type: 'date',
      access: { update: ({ req }) => isStaff(req, 'admin') },
      admin: { readOnly: true, description: 'The customer deleted the account: personal data removed, only billing records kept on this anonymous row.' },
    },
    // Billing (B3): where YooKassa's 54-FZ receipts go, asked once in the bot and kept for next time.
    {
      name: 'receiptContact',
      type: 'group',
      // AF2: personal data, read by admin and support and the customer themself (not editors).
      access: { read: receiptContactReadable((doc) => doc.id) },
      admin: { description: 'Email or phone for card payment receipts (54-FZ), given by the customer in the bot.' },
      fields: [
        { name: 'email', type: 'email' },
        { name: 'phone', type: 'text', maxLength: 20, validate: (value: unknown) => (value == null || value === '' || /^\d{10,15}$/.test(String(value)) ? true : 'Digits only, 10-15, with the country code') },
      ],
    },
  ],
}
