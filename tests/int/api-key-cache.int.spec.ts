import { randomBytes } from 'node:crypto'

import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { API_KEY_HOLD_SECONDS } from '../../src/access/apiKeys'
import { databaseScope, redis } from '../../src/lib/redis'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { gql, rest, type Auth } from '../helpers/rest'
import { testPayload } from '../helpers/payload'

/**
 * API keys are answered from a short-lived Redis cache (src/access/apiKeys.ts). A change to the
 * account must take effect on the very next request, in every web process: revoking or replacing
 * the key, blocking the account, deleting it. The cache is shared through Redis, so checking it
 * from this process stands for any other.
 */

let payload: Payload
let admin: Auth

const scope = () => databaseScope()
const cachedIndexes = (accountId: number) => redis().smembers(`pf:apikey:${scope()}:acct:${accountId}`)

/** The hold a change leaves (it keeps a read from before the commit out of the cache) is lifted, as it is after HOLD_SECONDS. */
const liftHold = (accountId: number) => redis().del(`pf:apikey:${scope()}:hold:${accountId}`)

/** Two requests: the first fills the cache, the second is answered from it. */
async function warm(tenant: Tenant) {
  await liftHold(tenant.account.id)
  expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(200)
  expect(await cachedIndexes(tenant.account.id)).toHaveLength(1)
  const listed = await rest('GET', '/projects', { auth: tenant.auth })
  expect(listed.status).toBe(200)
  expect(listed.json.docs.map((p: { id: number }) => p.id)).toEqual([tenant.project.id])
}

beforeAll(async () => {
  payload = await testPayload()
  admin = (await createStaff(payload, ['admin'])).auth
})

describe('API-key cache', () => {
  it('answers from the cache what the database would (REST and GraphQL), and stores no key', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    const entryKeys = await redis().keys(`pf:apikey:${scope()}:key:*`)
    for (const key of entryKeys) {
      expect(key).not.toContain(tenant.apiKey)
      const value = (await redis().get(key)) ?? ''
      expect(value).not.toContain(tenant.apiKey)
      expect(value).not.toMatch(/apiKeyIndex|"apiKey"/)
    }
    const listed = await gql('{ Projects { docs { id } } }', { auth: tenant.auth })
    expect(listed.json.data.Projects.docs).toEqual([{ id: tenant.project.id }])
    const me = await rest('GET', '/accounts/me', { auth: tenant.auth })
    expect(me.json.user.id).toBe(tenant.account.id)
  })

  it('a revoked key stops working on the next request', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    const revoked = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: admin, body: { enableAPIKey: false } })
    expect(revoked.status).toBe(200)
    expect(await cachedIndexes(tenant.account.id)).toEqual([])
    const after = await rest('GET', '/projects', { auth: tenant.auth })
    expect(after.status).toBe(403)
    expect((await gql('{ Projects { docs { id } } }', { auth: tenant.auth })).json.errors?.[0]?.extensions?.statusCode).toBe(403)
  })

  it('a replaced key: the old one stops at once, the new one works at once', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    const replacement = randomBytes(24).toString('hex')
    const changed = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: admin, body: { enableAPIKey: true, apiKey: replacement } })
    expect(changed.status).toBe(200)
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(403)
    const fresh = await rest('GET', '/projects', { auth: { apiKey: { collection: 'accounts', key: replacement } } })
    expect(fresh.status).toBe(200)
    expect(fresh.json.docs.map((p: { id: number }) => p.id)).toEqual([tenant.project.id])
  })

  it('a blocked account is refused at once, through the Local API too (a bot or job change)', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    await payload.update({ collection: 'accounts', id: tenant.account.id, data: { status: 'blocked' }, overrideAccess: true })
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(403)
    await payload.update({ collection: 'accounts', id: tenant.account.id, data: { status: 'active' }, overrideAccess: true })
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(200)
  })

  it('a deleted account is refused at once', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    await payload.delete({ collection: 'accounts', id: tenant.account.id, overrideAccess: true })
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(403)
  })

  it('a read that began before a change committed cannot put the old account back into the cache', async () => {
    const tenant = await createTenant(payload)
    await warm(tenant)
    // A change inside a transaction that has not committed yet: its hooks have already forgotten
    // the entries and set the hold. Requests meanwhile read the old row from the database.
    const req = { payload, transactionID: await payload.db.beginTransaction() } as never
    await payload.update({ collection: 'accounts', id: tenant.account.id, data: { enableAPIKey: false }, overrideAccess: true, req })
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(200)
    expect(await cachedIndexes(tenant.account.id)).toEqual([])
    const hold = await redis().ttl(`pf:apikey:${scope()}:hold:${tenant.account.id}`)
    expect(hold).toBeGreaterThan(API_KEY_HOLD_SECONDS - 30)
    await payload.db.commitTransaction((req as { transactionID: string | number }).transactionID)
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(403)
  })

  it('an unknown key is refused and nothing is cached for it', async () => {
    const before = (await redis().keys(`pf:apikey:${scope()}:key:*`)).length
    const unknown = await rest('GET', '/projects', { auth: { apiKey: { collection: 'accounts', key: randomBytes(24).toString('hex') } } })
    expect(unknown.status).toBe(403)
    expect((await redis().keys(`pf:apikey:${scope()}:key:*`)).length).toBe(before)
  })
})
