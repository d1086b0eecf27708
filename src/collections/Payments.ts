import type { CollectionConfig } from 'payload'

import { receiptContactReadable } from '../access/receipts'
import { nobody, ownRowsOr } from '../access/tenant'
import { CURRENCIES, PROVIDER_NAMES } from '../billing/providers/types'
import { PAYMENT_STATUSES } from '../billing/config'
import { refundEndpoint } from '../billing/endpoints'

const options = (values: readonly string[]) => values.map((value) => ({ label: value, value }))

/**
 * One row per payment taken through a provider (Stars, YooKassa, Stripe). Written only by the
 * billing core (src/billing/payments.ts, refunds.ts) with the provider's ids; customers read their
 * own, staff read all, nobody edits or deletes one through any API. Refunds go through
 * `POST /api/payments/:id/refund` (admins).
 */
export const Payments: CollectionConfig = {
  slug: 'payments',
  admin: {
    defaultColumns: ['createdAt', 'account', 'provider', 'product.code', 'amount', 'currency', 'status', 'paidAt'],
    group: 'Billing',
  },
  access: { read: ownRowsOr(), create: nobody, update: nobody, delete: nobody },
  indexes: [{ fields: ['provider', 'providerPaymentId'], unique: true }],
  endpoints: [refundEndpoint],
  fields: [
    { name: 'provider', type: 'select', required: true, index: true, enumName: 'enum_payments_provider', options: options(PROVIDER_NAMES) },
    { name: 'providerPaymentId', type: 'text', required: true, admin: { description: "The platform's payment id (YooKassa payment, Stripe Checkout Session, Stars invoice payload)." } },
    { name: 'providerChargeId', type: 'text', unique: true, admin: { description: 'telegram_payment_charge_id for Stars; the Stripe payment intent.' } },
    { name: 'providerSubscriptionId', type: 'text', index: true },
    // Not required: a deleted account's money records stay, anonymised (ON DELETE SET NULL); every
    // write path sets it.
    { name: 'account', type: 'relationship', relationTo: 'accounts', index: true },
    {
      name: 'product',
      type: 'group',
      fields: [
        { name: 'kind', type: 'select', required: true, enumName: 'enum_payments_product_kind', options: options(['plan', 'pack']) },
        { name: 'code', type: 'text', required: true },
      ],
    },
    { name: 'amount', type: 'number', required: true, admin: { description: 'Minor units: kopecks, cents, or whole stars for XTR.' } },
    { name: 'currency', type: 'select', required: true, enumName: 'enum_payments_currency', options: options(CURRENCIES) },
    { name: 'status', type: 'select', required: true, index: true, defaultValue: 'pending', enumName: 'enum_payments_status', options: options(PAYMENT_STATUSES) },
    { name: 'refundedAmount', type: 'number', required: true, defaultValue: 0 },
    { name: 'credits', type: 'number', defaultValue: 0, admin: { description: 'Credits this payment put on the ledger (a pack, or the plan\'s monthly credits).' } },
    { name: 'paidAt', type: 'date', index: true },
    { name: 'refundedAt', type: 'date' },
    {
      name: 'receipt',
      type: 'group',
      // Personal data: admin and support, and the paying customer (not editors).
      access: { read: receiptContactReadable((doc) => doc.account) },
      admin: { description: 'Contact for the 54-FZ receipt (YooKassa).' },
      fields: [
        { name: 'email', type: 'email' },
        { name: 'phone', type: 'text' },
      ],
    },
    { name: 'metadata', type: 'json', admin: { description: "The provider's non-secret details." } },
  ],
}
