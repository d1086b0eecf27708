import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { createPayment, createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest, type Auth } from '../helpers/rest'

/**
 * Staff endpoints answer what staff asked, not a guess: a dashboard period that is not offered is
 * refused with the allowed values, an account that does not exist is a 404 (not a zero balance),
 * and receipt contacts (customers' emails and phones) are read by admin and support only, and by
 * the customer themself.
 */

let payload: Payload
let tenant: Tenant
let other: Tenant
let admin: Auth
let editor: Auth
let support: Auth
let paymentId: number
let otherPaymentId: number

const customerAuth = (t: Tenant): Auth => ({ apiKey: { collection: 'accounts', key: t.apiKey } })

async function payment(t: Tenant, email: string) {
  const row = await createPayment(payload, t.account.id, { receipt: { email, phone: '79990001122' } })
  await payload.update({ collection: 'accounts', id: t.account.id, overrideAccess: true, data: { receiptContact: { email, phone: '79990001122' } } })
  return row.id
}

beforeAll(async () => {
  payload = await testPayload()
  tenant = await createTenant(payload)
  other = await createTenant(payload, { name: 'Other' })
  admin = (await createStaff(payload, ['admin'])).auth
  editor = (await createStaff(payload, ['editor'])).auth
  support = (await createStaff(payload, ['support'])).auth
  paymentId = await payment(tenant, 'buyer@example.test')
  otherPaymentId = await payment(other, 'other@example.test')
})

describe('GET /api/ops/dashboard?days=', () => {
  it('refuses a period that is not offered with the allowed values, in the asker\'s language', async () => {
    for (const days of ['abc', '-1', '100000', '1e3', '30.0', '14']) {
      const res = await rest('GET', `/ops/dashboard?days=${encodeURIComponent(days)}`, { auth: admin, lang: 'en' })
      expect(res.status, days).toBe(400)
      expect(res.json.errors[0].message).toBe('The days parameter must be one of: 7, 30, 90.')
    }
    const ru = await rest('GET', '/ops/dashboard?days=abc', { auth: admin, lang: 'ru' })
    expect(ru.status).toBe(400)
    expect(ru.json.errors[0].message).toBe('Параметр days должен быть одним из: 7, 30, 90.')
  })

  it('answers the offered periods, and 30 days when none is given', async () => {
    const week = await rest('GET', '/ops/dashboard?days=7', { auth: admin })
    expect(week.status).toBe(200)
    expect(week.json.days).toHaveLength(7)
    const plain = await rest('GET', '/ops/dashboard', { auth: admin })
    expect(plain.status).toBe(200)
    expect(plain.json.days).toHaveLength(30)
  })
})

describe('GET /api/ops/accounts/:id/credits', () => {
  it('is a 404 for an account that does not exist, and the balance for one that does', async () => {
    const missing = await rest('GET', '/ops/accounts/99999999/credits', { auth: admin, lang: 'en' })
    expect(missing.status).toBe(404)
    expect(missing.json.errors[0].message).toBe('There is no account 99999999.')
    const found = await rest('GET', `/ops/accounts/${tenant.account.id}/credits`, { auth: admin })
    expect(found.status).toBe(200)
    expect(found.json.accountId).toBe(tenant.account.id)
  })
})

describe('receipt contacts are personal data', () => {
  it('editors do not see them on payments or accounts; admin and support do', async () => {
    const asEditor = await rest('GET', `/payments/${paymentId}`, { auth: editor })
    expect(asEditor.status).toBe(200)
    expect(asEditor.json.amount).toBe(49_000)
    expect(asEditor.json.receipt).toBeUndefined()
    const accountAsEditor = await rest('GET', `/accounts/${tenant.account.id}`, { auth: editor })
    expect(accountAsEditor.status).toBe(200)
    expect(accountAsEditor.json.receiptContact).toBeUndefined()
    const list = await rest('GET', '/payments?limit=100', { auth: editor })
    expect(JSON.stringify(list.json)).not.toContain('buyer@example.test')

    for (const staff of [admin, support]) {
      expect((await rest('GET', `/payments/${paymentId}`, { auth: staff })).json.receipt.email).toBe('buyer@example.test')
      expect((await rest('GET', `/accounts/${tenant.account.id}`, { auth: staff })).json.receiptContact.email).toBe('buyer@example.test')
    }
  })

  it('a customer reads their own, never another account\'s', async () => {
    const own = await rest('GET', `/payments/${paymentId}`, { auth: customerAuth(tenant) })
    expect(own.json.receipt.email).toBe('buyer@example.test')
    expect((await rest('GET', `/accounts/${tenant.account.id}`, { auth: customerAuth(tenant) })).json.receiptContact.phone).toBe('79990001122')
    const theirs = await rest('GET', `/payments/${otherPaymentId}`, { auth: customerAuth(tenant) })
    expect(theirs.status).toBe(404)
    expect(JSON.stringify((await rest('GET', '/payments?limit=100', { auth: customerAuth(tenant) })).json)).not.toContain('other@example.test')
  })
})
