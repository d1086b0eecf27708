import type { CollectionConfig } from 'payload'

import { nobody, staffOnly } from '../access/tenant'

/**
 * The log of deleted accounts (GDPR / 152-FZ): which account number, when, at whose request, how
 * many records of each kind were removed and which billing records were kept (anonymised) and
 * why. No personal data: no name, username or Telegram id.
 */
export const AccountDeletions: CollectionConfig = {
  slug: 'account-deletions',
  admin: { group: 'Customers', defaultColumns: ['accountId', 'requestedBy', 'tombstone', 'createdAt'] },
  access: { read: staffOnly('admin', 'support'), create: nobody, update: nobody, delete: nobody },
  fields: [
    { name: 'accountId', type: 'number', required: true, index: true },
    { name: 'requestedBy', type: 'select', required: true, enumName: 'enum_account_deletions_requested_by', options: ['customer', 'staff'].map((value) => ({ label: value, value })) },
    { name: 'staffUser', type: 'relationship', relationTo: 'users' },
    { name: 'removed', type: 'json', admin: { description: 'Records removed, by collection.' } },
    { name: 'retained', type: 'json', admin: { description: 'Billing records kept for the law, by collection (linked to the anonymous account row).' } },
    { name: 'tombstone', type: 'checkbox', admin: { description: 'The account row was kept, anonymised, because billing records refer to it.' } },
  ],
}
