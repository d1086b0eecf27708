import type { FieldHook } from 'payload'

import { isStaff } from '../../access/actors'
import { AppError } from '../../http/errors'
import { languageOf } from '../../i18n/request'
import { defaultPlan, planExists } from '../../usage/limits'

/**
 * An account's plan is a code of the plans catalogue: a new account without one gets the default
 * plan (BILLING_DEFAULT_PLAN or the plan marked default), and a code that names no plan is
 * refused (422) when it is set or changed. A plan deleted later leaves its accounts on their
 * code; their limits fall back to the default plan's (src/usage/limits.ts).
 */
export const planCodeOrDefault: FieldHook = async ({ value, previousValue, operation, req }) => {
  if (value === undefined || value === null || value === '') {
    if (operation === 'create') return (await defaultPlan(req.payload)).code
    return previousValue
  }
  if (value === previousValue) return value
  // Whoever may not set the plan is refused by the field's access (403 naming it), not told here.
  if (req.user && !isStaff(req, 'admin')) return value
  if (typeof value !== 'string' || !(await planExists(req.payload, value)))
    throw new AppError('plan.unknown', 422, languageOf(req), { plan: String(value) })
  return value
}
