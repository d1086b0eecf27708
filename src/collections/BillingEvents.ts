import type { CollectionConfig } from 'payload'

import { nobody, staffOnly } from '../access/tenant'
import { PROVIDER_NAMES } from '../billing/providers/types'

/**
 * Every provider event (webhook delivery, bot payment update) the billing core has applied, by
 * the provider's own id: a second delivery of the same id finds its row and applies nothing
 * (`processOnce` in src/billing/events.ts). Staff read them; nobody writes through an API.
 */
export const BillingEvents: CollectionConfig = {
  slug: 'billing-events',
  admin: { defaultColumns: ['processedAt', 'provider', 'type', 'eventId', 'outcome'], group: 'Billing' },
  access: { read: staffOnly('admin', 'support'), create: nobody, update: nobody, delete: nobody },
  indexes: [{ fields: ['provider', 'eventId'], unique: true }],
  fields: [
    { name: 'provider', type: 'select', required: true, enumName: 'enum_billing_events_provider', options: PROVIDER_NAMES.map((value) => ({ label: value, value })) },
    { name: 'eventId', type: 'text', required: true },
    { name: 'type', type: 'text', required: true, index: true },
    { name: 'processedAt', type: 'date', required: true },
    { name: 'outcome', type: 'text', admin: { description: 'What applying the event did (e.g. applied, ignored: unknown payment).' } },
  ],
}
