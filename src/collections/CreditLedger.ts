import { randomUUID } from 'node:crypto'

import type { CollectionBeforeChangeHook, CollectionBeforeValidateHook, CollectionConfig } from 'payload'

import { actorOf, isStaff } from '../access/actors'
import { nobody, ownRowsOr } from '../access/tenant'
import { LEDGER_KINDS } from '../billing/config'
import { assertStaffEntry, balanceOf, lockAccount, MAX_ENTRY_CREDITS } from '../billing/ledger'
import { AppError } from '../http/errors'
import { languageOf } from '../i18n/request'
import { transactionOf } from '../jobs/addJob'
import { idOf } from '../lib/ids'

/**
 * A row written by staff (the admin's manual grant, `POST /api/credit-ledger`, GraphQL
 * `createCreditLedger`): only `grant` or `adjustment`, a reason, whole credits; the staff member
 * is the signed-in user whatever the input says. The idempotency key is the system's on every
 * face: whatever the input says is replaced by a fresh `manual:` key (a key taken from input
 * could squat on a future payment's `payment:<provider>:<id>` key).
 */
const staffRules: CollectionBeforeValidateHook = ({ data, req, operation }) => {
  if (operation !== 'create' || !data) return data
  const actor = actorOf(req)
  if (data.account === undefined || data.account === null) throw new AppError('billing.ledger.account_required', 422, languageOf(req))
  if (actor.kind === 'staff') {
    assertStaffEntry(data.kind, data.credits, data.reason, languageOf(req))
    data.staffUser = actor.id
    data.reason = String(data.reason).trim()
    delete data.jobRef
  }
  data.idempotencyKey = `manual:${randomUUID()}`
  return data
}

/**
 * Any row created through Payload (staff grants; tests) takes the account's ledger lock in the
 * request's transaction, like the core's own writes, so the balance it records is exact and a
 * negative adjustment can never take the balance below zero.
 */
const underAccountLock: CollectionBeforeChangeHook = async ({ data, req, operation }) => {
  if (operation !== 'create') return data
  const accountId = Number(idOf(data.account))
  const db = await transactionOf(req)
  if (!db) throw new Error('credit-ledger writes need a transaction')
  await lockAccount(db, accountId)
  const balance = await balanceOf(req.payload, accountId, db)
  if (balance + Number(data.credits) < 0) throw new AppError('billing.negative_balance', 422, languageOf(req), { balance, credits: Number(data.credits) })
  data.balanceAfter = balance + Number(data.credits)
  return data
}

/**
 * The credit ledger (src/billing/ledger.ts): append-only on every face. Customers read their own
 * rows; staff read all; only admins create, and only grants and adjustments with a reason; nobody
 * updates or deletes a row, admins included.
 */
export const CreditLedger: CollectionConfig = {
  slug: 'credit-ledger',
  admin: {
    defaultColumns: ['createdAt', 'account', 'kind', 'credits', 'balanceAfter', 'reason', 'staffUser'],
    group: 'Billing',
  },
  access: {
    read: ownRowsOr(),
    create: ({ req }) => isStaff(req, 'admin'),
    update: nobody,
    delete: nobody,
  },
  hooks: { beforeValidate: [staffRules], beforeChange: [underAccountLock] },
  fields: [
    // Not required: a deleted account's money records stay, anonymised (ON DELETE SET NULL); every
    // write path sets it.
    { name: 'account', type: 'relationship', relationTo: 'accounts', index: true },
    { name: 'kind', type: 'select', required: true, index: true, enumName: 'enum_credit_ledger_kind', options: LEDGER_KINDS.map((value) => ({ label: value, value })) },
    { name: 'credits', type: 'number', required: true, min: -MAX_ENTRY_CREDITS, max: MAX_ENTRY_CREDITS, admin: { description: 'Signed whole credits: + adds, − takes away.' } },
    { name: 'balanceAfter', type: 'number', admin: { readOnly: true, description: 'The balance right after this row (written under the account lock).' } },
    { name: 'reason', type: 'textarea' },
    { name: 'staffUser', type: 'relationship', relationTo: 'users', admin: { readOnly: true, description: 'Who wrote it by hand (from the session, never from input).' } },
    { name: 'payment', type: 'relationship', relationTo: 'payments', index: true },
    { name: 'jobRef', type: 'text', index: true, admin: { readOnly: true, description: 'The AI generation (job key) a spend belongs to.' } },
    // Not `required` in the schema (APIs would demand it): the hook above always makes it, input
    // is never taken.
    { name: 'idempotencyKey', type: 'text', unique: true, admin: { readOnly: true } },
  ],
}
