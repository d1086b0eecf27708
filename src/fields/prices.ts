import type { ArrayField, FieldAccess, PayloadRequest } from 'payload'

import { isStaff } from '../access/actors'
import { t } from '../i18n'
import { languageOf } from '../i18n/request'
import { CURRENCIES } from '../usage/plans'

/** Provider-side identifiers are staff business: customers read the catalogue without them. */
export const staffOnlyRead: FieldAccess = ({ req }) => isStaff(req)

/**
 * What a plan or a credit pack costs, one row per currency, in the currency's minor unit
 * (XTR whole stars, RUB kopecks, USD and EUR cents), so no amount is ever a float. A Stripe price
 * id may be kept per row for the Stripe provider; customers never read it.
 */
/**
 * Telegram caps a Stars subscription's price (createInvoiceLink with `subscription_period`) at
 * 10000 Stars: a plan dearer than that in XTR could never be sold.
 */
export const STARS_SUBSCRIPTION_MAX = 10_000

/**
 * A price is a whole amount above 0 (a 0 row made the bot show the product as unavailable); a
 * plan's XTR price is at most STARS_SUBSCRIPTION_MAX. Messages in the staff member's language.
 */
export function priceAmount(product: 'plan' | 'pack') {
  return (value: unknown, { req, siblingData }: { req: Partial<PayloadRequest>; siblingData?: unknown }): true | string => {
    const lang = languageOf(req)
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) return t(lang, 'billing.price.positive')
    const currency = (siblingData as { currency?: string } | undefined)?.currency
    if (product === 'plan' && currency === 'XTR' && value > STARS_SUBSCRIPTION_MAX) return t(lang, 'billing.price.stars_plan_max', { max: STARS_SUBSCRIPTION_MAX })
    return true
  }
}

export function pricesField(enumName: string, product: 'plan' | 'pack'): ArrayField {
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
          { name: 'amount', type: 'number', required: true, min: 1, validate: priceAmount(product) as never },
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
