import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { projectPage } from '../../src/bot/projectList'
import { SESSION_REFRESH_SECONDS } from '../../src/bot/sessionStorage'
import { listProjects } from '../../src/projects/service'
import { tr } from '../../src/i18n'
import { createTenant } from '../helpers/fixtures'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

/**
 * What makes one update cheap must not change what the customer sees: an unchanged session is not
 * written back (but still kept alive), the projects list read as one query equals Payload's, and
 * a change to the account (language, block) is seen on the very next update despite the cache.
 */
let h: Harness
const SESSION_TTL = 3 * 24 * 60 * 60

beforeAll(async () => {
  h = await startHarness('hotpath')
})
afterAll(async () => {
  await h?.close()
})

describe('session writes', () => {
  it('an update that changes nothing leaves the session unwritten; a stale expiry or a change is written', async () => {
    const { user } = await verifiedUser(h)
    const key = `${h.keyPrefix}session:${user.id}`
    await user.send('/menu')
    const before = await h.redis.get(key)

    // Fresh enough: the unchanged session is not written again (its expiry stays where it was).
    await h.redis.expire(key, SESSION_TTL - 120)
    await user.send('/menu')
    expect(user.lastText()).toContain('Main menu')
    expect(await h.redis.get(key)).toBe(before)
    expect(await h.redis.ttl(key)).toBeLessThanOrEqual(SESSION_TTL - 120)

    // Older than the refresh allowance: written again, so an active chat keeps its session.
    await h.redis.expire(key, SESSION_TTL - SESSION_REFRESH_SECONDS - 60)
    await user.send('/menu')
    expect(await h.redis.ttl(key)).toBeGreaterThan(SESSION_TTL - 60)

    // A change is always written.
    await h.redis.expire(key, SESSION_TTL - 120)
    await user.send('/new')
    expect((await h.session(user.id)).flow?.name).toBe('project.create')
    await user.send('/cancel')
    expect((await h.session(user.id)).flow).toBeUndefined()
  })
})

describe('projects list', () => {
  it('reads the same page, order and total as Payload acting as the account, and nothing of another account', async () => {
    const a = await createTenant(h.payload, { name: 'Mine' })
    const b = await createTenant(h.payload, { name: 'Theirs' })
    for (let i = 0; i < 6; i++) {
      await h.payload.create({
        collection: 'projects',
        data: { account: a.account.id, name: `Extra ${i}`, timezone: 'Europe/Moscow', language: 'ru', reviewPolicy: 'staff' },
        overrideAccess: true,
      })
    }
    for (const page of [1, 2, 3]) {
      const ours = await projectPage(h.payload, a.account, page, 5)
      const payloads = await listProjects(h.payload, a.account, { page, limit: 5 })
      expect(ours.docs).toEqual(payloads.docs.map((p) => ({ id: p.id, name: p.name })))
      expect(ours.totalDocs).toBe(payloads.totalDocs)
      expect(ours.totalPages).toBe(payloads.totalPages)
    }
    const theirs = await projectPage(h.payload, b.account, 1, 5)
    expect(theirs.docs.map((p) => p.id)).toEqual([b.project.id])
    expect(await projectPage(h.payload, { ...a.account, status: 'blocked' }, 1, 5)).toMatchObject({ docs: [], totalDocs: 0 })
  })
})

describe('account changes reach the next update', () => {
  it('a language changed elsewhere (the admin) is the bot language of the next message; a block refuses it', async () => {
    const { user, account } = await verifiedUser(h)
    await user.send('/menu')
    expect(user.lastText()).toContain(tr('en', 'menu.title'))
    await h.payload.update({ collection: 'accounts', id: account.id, data: { language: 'ru' }, overrideAccess: true })
    await user.send('/menu')
    expect(user.lastText()).toContain(tr('ru', 'menu.title'))
    await h.payload.update({ collection: 'accounts', id: account.id, data: { status: 'blocked' }, overrideAccess: true })
    await user.send('/menu')
    expect(user.lastText()).toBe(tr('ru', 'account.blocked'))
  })
})
