import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { claimPublication, markStuckUnconfirmed, settlePublication } from '../../src/publishing/publications'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

let payload: Payload
let tenant: Tenant
let connectionId: number

beforeAll(async () => {
  payload = await testPayload()
  tenant = await createTenant(payload)
  const connection = await payload.create({
    collection: 'connections',
    data: { displayName: 'Channel', platform: 'telegram', project: tenant.project.id, credentials: { chatId: '@pf_test' } } as never,
  })
  connectionId = connection.id
})

async function approvedPublication() {
  const editor = await createStaff(payload, ['editor'])
  const article = await payload.create({ collection: 'articles', data: { title: `A ${Math.random()}`, project: tenant.project.id, workflowStatus: 'in_review' } as never })
  await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  return payload.create({
    collection: 'publications',
    data: { project: tenant.project.id, connection: connectionId, article: article.id, plannedAt: new Date().toISOString() } as never,
  })
}

describe('publication claims', () => {
  it('gives a publication to exactly one of many concurrent claimants', async () => {
    const pub = await approvedPublication()
    const claims = await Promise.all(Array.from({ length: 12 }, () => claimPublication(payload, pub.id)))
    expect(claims.filter(Boolean)).toHaveLength(1)
    const fresh = await payload.findByID({ collection: 'publications', id: pub.id })
    expect(fresh.status).toBe('publishing')
    expect(fresh.attempts).toBe(1)
  })

  it('never re-claims a publication whose outcome is already recorded or unknown', async () => {
    const pub = await approvedPublication()
    expect(await claimPublication(payload, pub.id)).toBe(true)
    await settlePublication(payload, pub.id, { status: 'published', remoteId: '123', remoteUrl: 'https://t.me/pf_test/123' })
    expect(await claimPublication(payload, pub.id)).toBe(false)
    const fresh = await payload.findByID({ collection: 'publications', id: pub.id })
    expect(fresh).toMatchObject({ status: 'published', remoteId: '123', attempts: 1 })
    expect(fresh.history?.map((h) => h.status)).toEqual(['publishing', 'published'])
  })

  it('turns a publication abandoned mid-call into unconfirmed, not queued', async () => {
    const pub = await approvedPublication()
    await claimPublication(payload, pub.id)
    await payload.db.drizzle.execute(sql`update publications set updated_at = now() - interval '20 minutes' where id = ${pub.id}`)
    const ids = await markStuckUnconfirmed(payload, 10 * 60_000, 'worker stopped during the call')
    expect(ids).toContain(pub.id)
    expect(await claimPublication(payload, pub.id)).toBe(false)
    const fresh = await payload.findByID({ collection: 'publications', id: pub.id })
    expect(fresh.status).toBe('unconfirmed')
    expect(fresh.history?.at(-1)?.message).toBe('worker stopped during the call')
  })
})
