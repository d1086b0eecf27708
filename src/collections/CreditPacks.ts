import type { CollectionConfig } from 'payload'

import { staffOnly } from '../access/tenant'
import { pricesField, wholeNumber } from '../fields/prices'
import { catalogueRead, codeField, namesFields } from './Plans'

/** Credits sold on their own (top-ups), priced per currency like plans. */
export const CreditPacks: CollectionConfig = {
  slug: 'credit-packs',
  admin: { useAsTitle: 'code', defaultColumns: ['code', 'name', 'credits', 'active', 'sortOrder'], group: 'Billing' },
  defaultSort: 'sortOrder',
  // Readable by every customer and owned by none: the isolation invariant checks that A and B see the same rows.
  custom: { publicCatalogue: true },
  access: { read: catalogueRead, create: staffOnly('admin'), update: staffOnly('admin'), delete: staffOnly('admin') },
  fields: [
    codeField('How payments refer to the pack. Cannot be changed after creation.'),
    namesFields('name', 'text', true),
    {
      type: 'row',
      fields: [
        { name: 'credits', type: 'number', required: true, min: 1, validate: (value: unknown) => (Number.isInteger(value) && (value as number) >= 1) || 'A whole number, 1 or more' },
        { name: 'active', type: 'checkbox', defaultValue: true, admin: { description: 'On sale.' } },
        { name: 'sortOrder', type: 'number', defaultValue: 0, validate: wholeNumber(false) },
      ],
    },
    pricesField('enum_credit_packs_prices_currency', 'pack'),
  ],
}
