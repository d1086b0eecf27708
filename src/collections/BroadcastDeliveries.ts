import type { CollectionConfig } from 'payload'

import { nobody, staffOnly } from '../access/tenant'

/**
 * One row per broadcast and recipient, written before the message goes out (`sending`) and
 * settled after (`sent`, `failed`, `blocked`). A job that runs again after a crash skips every
 * recipient with a row, and a row left `sending` becomes `unknown` instead of a second message.
 * Staff read them; only the job writes them.
 */
export const BroadcastDeliveries: CollectionConfig = {
  slug: 'broadcast-deliveries',
  admin: { group: 'Support', defaultColumns: ['broadcast', 'recipient', 'status', 'error', 'updatedAt'], hidden: false },
  access: { read: staffOnly('admin', 'support'), create: nobody, update: nobody, delete: staffOnly('admin') },
  indexes: [{ fields: ['broadcast', 'recipient'], unique: true }],
  fields: [
    { name: 'broadcast', type: 'relationship', relationTo: 'broadcasts', required: true, index: true },
    // Not named `account`: the row is the broadcast's record, not customer data the customer reads.
    { name: 'recipient', type: 'relationship', relationTo: 'accounts', index: true },
    {
      name: 'status',
      type: 'select',
      required: true,
      enumName: 'enum_broadcast_deliveries_status',
      options: ['sending', 'sent', 'failed', 'blocked', 'unknown'].map((value) => ({ label: value, value })),
    },
    { name: 'error', type: 'text' },
  ],
}
