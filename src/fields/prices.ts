import type { ArrayField, FieldAccess } from 'payload'

import { isStaff } from '../access/actors'
import { CURRENCIES } from '../usage/plans'

/** Provider-side identifiers are staff business: customers read the catalogue without them. */
export const staffOnlyRead: FieldAccess = ({ req }) => isStaff(req)

/**
 * What a plan or a credit pack costs, one row per currency, in the currency's minor unit
 * (XTR whole stars, RUB kopecks, USD and EUR cents), so no amount is ever a float. A Stripe price
 * id may be kept per row for the Stripe provider; customers never read it.
 */
export function pricesField(enumName: string): ArrayField {
  return {
    name: 'prices',
    type: 'array',
    maxRows: CURRENCIES.length,
    admin: { description: 'One row per currency. Amount in minor units: XTR whole stars, RUB kopecks, USD/EUR cents.' },
    validate: (rows: unknown) => {
      const currencies = (Array.isArray(rows) ? rows : []).map((row) => (row as { currency?: string }).currency)
      return new Set(currencies).size === currencies.length ? true : 'Each currency at most once'
    },
    fields: [
      {
        type: 'row',
        fields: [
          {
            name: 'currency',
            type: 'select',
            required: true,
            enumName,
            options: CURRENCIES.map((value) => ({ label: value, value })),
          },
          { name: 'amount', type: 'number', required: true, min: 0, validate: wholeNumber(true) },
          {
            name: 'stripePriceId',
            type: 'text',
            maxLength: 255,
            access: { read: staffOnlyRead },
            admin: { description: 'Stripe Price (price_...), optional; staff only.' },
          },
        ],
      },
    ],
  }
}

/** Minor units and counts are whole numbers (Payload's number field allows fractions). */
export function wholeNumber(required: boolean) {
  return (value: unknown): true | string => {
    if (value === null || value === undefined) return required ? 'Required' : true
    return Number.isInteger(value) && (value as number) >= 0 ? true : 'A whole number, 0 or more'
  }
}
