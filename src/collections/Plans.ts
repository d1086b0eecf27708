import type { Access, CollectionBeforeChangeHook, CollectionBeforeDeleteHook, CollectionConfig, Field } from 'payload'

import { isStaff } from '../access/actors'
import { staffOnly } from '../access/tenant'
import { pricesField, wholeNumber } from '../fields/prices'
import { AppError } from '../http/errors'
import { languageOf } from '../i18n/request'
import type { Plan } from '../payload-types'
import { forgetPlans } from '../usage/limits'
import { PLAN_CODE } from '../usage/plans'

/**
 * The catalogue is public: anyone reads the plans and packs on sale (the bot's /plan, a pricing
 * page, partners over the API); staff also read retired ones. Only admins change it.
 */
export const catalogueRead: Access = ({ req }) => (isStaff(req) ? true : { active: { equals: true } })

/** A code is what accounts, payments and providers refer to: set once, never changed. */
export const codeField = (description: string): Field => ({
  name: 'code',
  type: 'text',
  required: true,
  unique: true,
  index: true,
  access: { update: () => false },
  validate: (value: unknown) =>
    typeof value === 'string' && PLAN_CODE.test(value) ? true : 'Lower-case letters, digits, - and _ (2–32), starting with a letter or digit',
  admin: { description },
})

/** A text customers read, in Russian and in English. */
export const namesFields = (name: string, type: 'text' | 'textarea', required: boolean): Field => {
  const maxLength = type === 'text' ? 80 : 1000
  const one = (language: 'ru' | 'en'): Field =>
    type === 'text' ? { name: language, type, required, maxLength } : { name: language, type, required, maxLength }
  return { name, type: 'group', fields: [{ type: 'row', fields: [one('ru'), one('en')] }] }
}

const HANDOVER = 'planDefaultHandover'

/**
 * Exactly one default plan: marking a plan default takes the mark from the one that had it (in
 * the same transaction; a unique partial index backs this in the database), the default cannot
 * be unmarked (mark another instead), retired, or deleted.
 */
const oneDefault: CollectionBeforeChangeHook<Plan> = async ({ data, originalDoc, operation, req }) => {
  if (req.context[HANDOVER]) return data
  const isDefault = data.isDefault ?? originalDoc?.isDefault ?? false
  const active = data.active ?? originalDoc?.active ?? true
  if (isDefault && !active) throw new AppError('plans.default_inactive', 422, languageOf(req))
  if (operation === 'update' && originalDoc?.isDefault && !isDefault) throw new AppError('plans.default_required', 422, languageOf(req))
  if (isDefault && !originalDoc?.isDefault) {
    await req.payload.update({
      collection: 'plans',
      where: { and: [{ isDefault: { equals: true } }, ...(originalDoc ? [{ id: { not_equals: originalDoc.id } }] : [])] },
      data: { isDefault: false },
      depth: 0,
      req,
      overrideAccess: true,
      context: { [HANDOVER]: true },
    })
  }
  return data
}

const keepDefault: CollectionBeforeDeleteHook = async ({ id, req }) => {
  const plan = await req.payload.findByID({ collection: 'plans', id, depth: 0, req, overrideAccess: true })
  if (plan.isDefault) throw new AppError('plans.default_delete', 422, languageOf(req))
  // BF2b: customers on the plan, or paying for it, would be left with a plan that is gone (limits
  // fall back, renewals grant 0 credits): retire it (inactive) instead.
  const [accounts, subscriptions] = await Promise.all([
    req.payload.count({ collection: 'accounts', where: { plan: { equals: plan.code } }, req, overrideAccess: true }),
    req.payload.count({
      collection: 'subscriptions',
      where: { and: [{ planCode: { equals: plan.code } }, { status: { in: ['active', 'past_due'] } }, { currentPeriodEnd: { greater_than: new Date().toISOString() } }] },
      req,
      overrideAccess: true,
    }),
  ])
  if (accounts.totalDocs > 0 || subscriptions.totalDocs > 0) {
    throw new AppError('plans.in_use', 409, languageOf(req), { accounts: accounts.totalDocs, subscriptions: subscriptions.totalDocs })
  }
}

/**
 * Plans customers subscribe to: their limits (read by src/usage/limits.ts on every check, so a
 * change here applies to the next request on every face), the credits a paid period grants, and
 * prices per currency. `code` is the value of an account's `plan`.
 */
export const Plans: CollectionConfig = {
  slug: 'plans',
  admin: {
    useAsTitle: 'code',
    defaultColumns: ['code', 'name', 'limits', 'isDefault', 'active', 'sortOrder'],
    group: 'Billing',
    description: 'What each plan allows and costs. Changes apply to the next request of every account on the plan.',
  },
  defaultSort: 'sortOrder',
  // Readable by every customer and owned by none: the isolation invariant checks that A and B see the same rows.
  custom: { publicCatalogue: true },
  access: { read: catalogueRead, create: staffOnly('admin'), update: staffOnly('admin'), delete: staffOnly('admin') },
  hooks: {
    beforeChange: [oneDefault],
    beforeDelete: [keepDefault],
    afterChange: [async ({ doc }) => (await forgetPlans(), doc)],
    afterDelete: [async ({ doc }) => (await forgetPlans(), doc)],
  },
  fields: [
    codeField('The value of an account’s plan (e.g. free, pro). Cannot be changed after creation.'),
    namesFields('name', 'text', true),
    namesFields('description', 'textarea', false),
    {
      type: 'row',
      fields: [
        { name: 'active', type: 'checkbox', defaultValue: true, admin: { description: 'On sale. Accounts on a retired plan keep it.' } },
        { name: 'isDefault', type: 'checkbox', defaultValue: false, admin: { description: 'The plan of new accounts (exactly one).' } },
        { name: 'sortOrder', type: 'number', defaultValue: 0, validate: wholeNumber(false) },
      ],
    },
    {
      name: 'limits',
      type: 'group',
      fields: [
        {
          type: 'row',
          fields: [
            { name: 'maxProjects', type: 'number', required: true, min: 0, validate: wholeNumber(true) },
            { name: 'maxConnections', type: 'number', required: true, min: 0, validate: wholeNumber(true) },
            { name: 'dailyGenerations', type: 'number', required: true, min: 0, validate: wholeNumber(true), admin: { description: 'Articles, posts and rewrites ordered per day (the customer’s day).' } },
            { name: 'dailySpendUsd', type: 'number', required: true, min: 0, admin: { description: 'AI model cost per day, USD.' } },
          ],
        },
      ],
    },
    { name: 'monthlyCredits', type: 'number', required: true, defaultValue: 0, min: 0, validate: wholeNumber(true), admin: { description: "Credits granted for each paid month; on this plan without a payment (the free plan, or set by staff), once per calendar month in the account's time zone. Unspent ones expire at the period's or month's end." } },
    pricesField('enum_plans_prices_currency', 'plan'),
  ],
}
