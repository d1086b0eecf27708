import type { CollectionConfig } from 'payload'

import { nobody, ownRowsOr } from '../access/tenant'
import { PROVIDER_NAMES } from '../billing/providers/types'
import { SUBSCRIPTION_STATUSES } from '../billing/config'

/**
 * An account's plan subscription at a provider, kept in step by `syncSubscription`
 * (src/billing/subscriptions.ts): the account's plan follows the newest state, and goes back to
 * the default plan when the subscription is canceled or its period ends. Customers read their
 * own; written only by the billing core.
 */
export const Subscriptions: CollectionConfig = {
  slug: 'subscriptions',
  admin: { defaultColumns: ['account', 'provider', 'planCode', 'status', 'currentPeriodEnd', 'cancelAtPeriodEnd'], group: 'Billing' },
  access: { read: ownRowsOr(), create: nobody, update: nobody, delete: nobody },
  indexes: [{ fields: ['provider', 'providerSubscriptionId'], unique: true }],
  fields: [
    // Not required: a deleted account's money records stay, anonymised (ON DELETE SET NULL); every
    // write path sets it.
    { name: 'account', type: 'relationship', relationTo: 'accounts', index: true },
    { name: 'provider', type: 'select', required: true, enumName: 'enum_subscriptions_provider', options: PROVIDER_NAMES.map((value) => ({ label: value, value })) },
    { name: 'providerSubscriptionId', type: 'text', required: true },
    { name: 'planCode', type: 'text', required: true },
    { name: 'status', type: 'select', required: true, index: true, enumName: 'enum_subscriptions_status', options: SUBSCRIPTION_STATUSES.map((value) => ({ label: value, value })) },
    { name: 'currentPeriodEnd', type: 'date', index: true },
    { name: 'cancelAtPeriodEnd', type: 'checkbox', defaultValue: false },
    { name: 'lastEventAt', type: 'date', admin: { description: 'When the provider created the newest event applied (older ones are ignored).' } },
    { name: 'creditsExpiredAt', type: 'date', admin: { description: 'When the billing sweep closed the ended period (the account’s plan recomputed).' } },
  ],
}
