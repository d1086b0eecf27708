import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { jsonPathsThroughRelationships } from '../../src/http/where'
import { createPayment, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest, type Auth } from '../helpers/rest'

/**
 * Filters on a JSON field reached through a relationship (`payment.metadata.orderId` on the
 * ledger) are refused up front with a translated 400 on REST, as GraphQL already does: the
 * database adapter builds SQL PostgreSQL rejects (ambiguous column, missing operator), which was a
 * 500. The paths are derived from the config, so a JSON field added later is covered too.
 */

let payload: Payload
let tenant: Tenant
let auth: Auth

beforeAll(async () => {
  payload = await testPayload()
  tenant = await createTenant(payload)
  auth = { apiKey: { collection: 'accounts', key: tenant.apiKey } }
  const payment = await createPayment(payload, tenant.account.id, { amount: 100, metadata: { orderId: 'x', customer: 'cus_1' } })
  await payload.create({
    collection: 'credit-ledger',
    overrideAccess: true,
    data: { account: tenant.account.id, kind: 'purchase', credits: 100, payment: payment.id } as never,
  }).catch(() => undefined)
})

describe('where on a JSON field behind a relationship', () => {
  it('every such path the config has is refused with a translated 400, in REST keys, JSON where and inside or', async () => {
    const paths = jsonPathsThroughRelationships(payload)
    expect(paths.find((p) => p.collection === 'credit-ledger' && p.path === 'payment.metadata')).toBeTruthy()
    for (const { collection, path } of paths) {
      for (const query of [
        `where[${path}.orderId][equals]=x`,
        `where[${path}.orderId][exists]=true`,
        `where[${path}.customer][like]=cus`,
        `where[or][0][${path}.orderId][equals]=x`,
        `where=${encodeURIComponent(JSON.stringify({ and: [{ [`${path}.orderId`]: { equals: 'x' } }] }))}`,
      ]) {
        const res = await rest('GET', `/${collection}?${query}`, { auth, lang: 'en' })
        expect(res.status, `${collection}?${query}`).toBe(400)
        expect(res.json.errors[0].message).toMatch(/through a relationship/)
      }
    }
    const ru = await rest('GET', '/credit-ledger?where[payment.metadata.orderId][equals]=x', { auth, lang: 'ru' })
    expect(ru.status).toBe(400)
    expect(ru.json.errors[0].message).toMatch(/связ/)
  })

  it('the JSON field on the document itself can still be filtered; an operator it cannot take is a translated 400', async () => {
    const own = await rest('GET', '/payments?where[metadata.orderId][equals]=x', { auth, lang: 'en' })
    expect(own.status).toBe(200)
    expect(own.json.docs).toHaveLength(1)
    const relationship = await rest('GET', `/credit-ledger?where[payment][equals]=${own.json.docs[0].id}`, { auth, lang: 'en' })
    expect(relationship.status).toBe(200)

    const list = await rest('GET', '/payments?where[metadata.x][in]=a,b', { auth, lang: 'en' })
    expect(list.status).toBe(400)
    expect(list.json.errors[0].message).not.toBe('An unknown error occurred.')
    expect(list.json.errors[0].message).toMatch(/^The request is not valid/)
    const ru = await rest('GET', '/payments?where[metadata.x][in]=a,b', { auth, lang: 'ru' })
    expect(ru.status).toBe(400)
    expect(ru.json.errors[0].message).toMatch(/[а-я]/)
  })
})
