import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { workerUtils } from '../../src/jobs/inspect'
import { materializeSchedules } from '../../src/scheduling/materialize'
import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

let payload: Payload
let t: Tenant
const now = new Date('2026-11-23T00:00:00Z').getTime()

beforeAll(async () => {
  payload = await testPayload()
  await workerUtils()
  t = await createTenant(payload)
  const editor = await createStaff(payload, ['editor'])
  const approve = async (collection: 'articles' | 'posts', data: Record<string, unknown>) => {
    const doc = await payload.create({ collection, data: { project: t.project.id, workflowStatus: 'in_review', ...data } as never })
    return payload.update({ collection, id: doc.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  }
  await approve('articles', { title: 'First article' })
  await approve('articles', { title: 'Second article' })
  await payload.create({ collection: 'articles', data: { project: t.project.id, title: 'Not approved', workflowStatus: 'in_review' } as never })
  await approve('posts', { title: 'Telegram post', variants: [{ platform: 'telegram', text: 'Привет' }] })
  await approve('posts', { title: 'VK only post', variants: [{ platform: 'vk', text: 'Привет' }] })
  const blog = await payload.create({
    collection: 'connections',
    data: { displayName: 'Blog', platform: 'wordpress', project: t.project.id, credentials: { siteUrl: 'https://t.example', username: 'u', applicationPassword: 'abcd efgh ijkl' } } as never,
  })
  const channel = await payload.create({
    collection: 'connections',
    data: { displayName: 'Channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@t_channel' } } as never,
  })
  await payload.create({
    collection: 'schedules',
    data: {
      name: 'Twice a week',
      project: t.project.id,
      connections: [blog.id, channel.id],
      cadence: 'slots',
      contentKind: 'both',
      slots: [{ weekday: 'mon', time: '09:00' }, { weekday: 'thu', time: '18:30' }],
    } as never,
  })
})

async function publications() {
  const { docs } = await payload.find({ collection: 'publications', where: { project: { equals: t.project.id } }, sort: 'plannedAt', depth: 1, limit: 50 })
  return docs.map((p) => ({
    at: p.plannedAt,
    to: (p.connection as { displayName: string }).displayName,
    item: ((p.article ?? p.post) as { title: string }).title,
    id: p.id,
  }))
}

describe('schedule materialisation', () => {
  it('fills each slot in Moscow time with the next approved item suited to the platform', async () => {
    const result = await materializeSchedules(payload, { now, horizonMs: 7 * 86_400_000, projectIds: [t.project.id] })
    expect(result).toEqual({ created: 3, unfilled: 1 })
    const rows = await publications()
    expect(rows.map(({ at, to, item }) => [at, to, item])).toEqual([
      ['2026-11-23T06:00:00.000Z', 'Blog', 'First article'],
      ['2026-11-23T06:00:00.000Z', 'Channel', 'Telegram post'],
      ['2026-11-26T15:30:00.000Z', 'Blog', 'Second article'],
    ])
    const { docs } = await payload.find({ collection: 'articles', where: { project: { equals: t.project.id }, workflowStatus: { equals: 'scheduled' } } })
    expect(docs.map((d) => d.title).sort()).toEqual(['First article', 'Second article'])
  })

  it('puts a publish job at each instant, keyed by the publication', async () => {
    const rows = await publications()
    const { rows: jobs } = await (await workerUtils()).withPgClient((c) =>
      c.query(`select key, run_at from graphile_worker.jobs where task_identifier = 'publication.publish' and key = any($1)`, [rows.map((r) => `publish:${r.id}`)]),
    )
    expect(jobs).toHaveLength(3)
    for (const row of rows) {
      const job = jobs.find((j: { key: string }) => j.key === `publish:${row.id}`)
      expect(new Date(job.run_at).toISOString()).toBe(row.at)
    }
  })

  it('leaves other projects alone when scoped', async () => {
    const other = await createTenant(payload, { name: 'Other' })
    const channel = await payload.create({
      collection: 'connections',
      data: { displayName: 'Other channel', platform: 'telegram', project: other.project.id, credentials: { chatId: '@o_channel' } } as never,
    })
    await payload.create({
      collection: 'schedules',
      data: { name: 'Daily', project: other.project.id, connections: [channel.id], cadence: 'slots', contentKind: 'both', slots: [{ weekday: 'mon', time: '10:00' }] } as never,
    })
    expect(await materializeSchedules(payload, { now, horizonMs: 7 * 86_400_000, projectIds: [other.project.id] })).toEqual({ created: 0, unfilled: 1 })
    expect(await publications()).toHaveLength(3)
  })

  it('is idempotent', async () => {
    expect(await materializeSchedules(payload, { now, horizonMs: 7 * 86_400_000, projectIds: [t.project.id] })).toEqual({ created: 0, unfilled: 1 })
    expect(await publications()).toHaveLength(3)
  })

  it('fills each slot once when two runs race', async () => {
    await payload.delete({ collection: 'publications', where: { project: { equals: t.project.id } } })
    const [a, b] = await Promise.all([
      materializeSchedules(payload, { now, horizonMs: 7 * 86_400_000, projectIds: [t.project.id] }),
      materializeSchedules(payload, { now, horizonMs: 7 * 86_400_000, projectIds: [t.project.id] }),
    ])
    expect(a.created + b.created).toBe(3)
    const rows = await publications()
    expect(rows).toHaveLength(3)
    expect(new Set(rows.map((r) => `${r.at}:${r.to}`)).size).toBe(3)
  })

  it('a post already published on one channel still goes to a channel that was disconnected when it went out', async () => {
    const own = await createTenant(payload, { name: 'Two channels' })
    const editor = await createStaff(payload, ['editor'])
    const draft = await payload.create({
      collection: 'posts',
      data: { project: own.project.id, title: 'Both networks', workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'Привет' }, { platform: 'vk', text: 'Привет' }] } as never,
    })
    const post = await payload.update({ collection: 'posts', id: draft.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const channel = await payload.create({
      collection: 'connections',
      data: { displayName: 'Channel', platform: 'telegram', project: own.project.id, credentials: { chatId: '@two_channel' } } as never,
    })
    const vk = await payload.create({
      collection: 'connections',
      data: { displayName: 'VK', platform: 'vk', project: own.project.id, status: 'needs_reconnect', credentials: { accessToken: 'vk1.a.token-of-the-group', groupId: 123 } } as never,
    })
    await payload.create({
      collection: 'schedules',
      data: { name: 'Daily', project: own.project.id, connections: [channel.id, vk.id], cadence: 'slots', contentKind: 'posts', slots: [{ weekday: 'mon', time: '10:00' }, { weekday: 'tue', time: '10:00' }] } as never,
    })
    const scope = { now, horizonMs: 86_400_000, projectIds: [own.project.id] }
    expect(await materializeSchedules(payload, scope)).toEqual({ created: 1, unfilled: 0 })
    // It went out on the channel; then the customer reconnects VK.
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'published' }, context: SYSTEM_CONTEXT })
    await payload.update({ collection: 'connections', id: vk.id, data: { status: 'active' } })

    // The next run, after Monday's slot: Tuesday's VK slot takes the post, Tuesday's channel slot has nothing new.
    expect(await materializeSchedules(payload, { ...scope, now: now + 12 * 3600_000 })).toEqual({ created: 1, unfilled: 1 })
    const { docs } = await payload.find({ collection: 'publications', where: { project: { equals: own.project.id } }, sort: 'plannedAt', depth: 0 })
    expect(docs.map((p) => [p.connection, p.post, p.plannedAt])).toEqual([
      [channel.id, post.id, '2026-11-23T07:00:00.000Z'],
      [vk.id, post.id, '2026-11-24T07:00:00.000Z'],
    ])
  })

  it('new content goes out before the backlog on a channel added later', async () => {
    const own = await createTenant(payload, { name: 'Backlog' })
    const editor = await createStaff(payload, ['editor'])
    const post = async (title: string) => {
      const draft = await payload.create({
        collection: 'posts',
        data: { project: own.project.id, title, workflowStatus: 'in_review', variants: [{ platform: 'vk', text: title }] } as never,
      })
      return payload.update({ collection: 'posts', id: draft.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    }
    const old = await post('Old news')
    await payload.update({ collection: 'posts', id: old.id, data: { workflowStatus: 'scheduled' }, context: SYSTEM_CONTEXT })
    await payload.update({ collection: 'posts', id: old.id, data: { workflowStatus: 'published' }, context: SYSTEM_CONTEXT })
    const fresh = await post('Fresh news')
    const vk = await payload.create({
      collection: 'connections',
      data: { displayName: 'VK', platform: 'vk', project: own.project.id, credentials: { accessToken: 'vk1.a.token-of-the-group', groupId: 321 } } as never,
    })
    await payload.create({
      collection: 'schedules',
      data: { name: 'Daily', project: own.project.id, connections: [vk.id], cadence: 'slots', contentKind: 'posts', slots: [{ weekday: 'mon', time: '10:00' }, { weekday: 'tue', time: '10:00' }] } as never,
    })
    expect(await materializeSchedules(payload, { now, horizonMs: 2 * 86_400_000, projectIds: [own.project.id] })).toEqual({ created: 2, unfilled: 0 })
    const { docs } = await payload.find({ collection: 'publications', where: { project: { equals: own.project.id } }, sort: 'plannedAt', depth: 0 })
    expect(docs.map((p) => p.post)).toEqual([fresh.id, old.id])
  })

  it('a connection with a long history still gets the newest approved item', async () => {
    const own = await createTenant(payload, { name: 'Busy channel' })
    const editor = await createStaff(payload, ['editor'])
    const approvePost = async (title: string) => {
      const draft = await payload.create({
        collection: 'posts',
        data: { project: own.project.id, title, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: title }] } as never,
      })
      return payload.update({ collection: 'posts', id: draft.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    }
    for (let batch = 0; batch < 6; batch += 1) await Promise.all(Array.from({ length: 10 }, (_, i) => approvePost(`Post ${batch * 10 + i}`)))
    const channel = await payload.create({
      collection: 'connections',
      data: { displayName: 'Channel', platform: 'telegram', project: own.project.id, credentials: { chatId: '@busy_channel' } } as never,
    })
    await payload.create({
      collection: 'schedules',
      data: { name: 'Hourly', project: own.project.id, connections: [channel.id], cadence: 'interval', intervalMinutes: 60, startsAt: new Date(now).toISOString(), contentKind: 'posts' } as never,
    })
    // Sixty hourly slots take all sixty posts, over two runs (a run reads one page of candidates).
    const horizon = { now, horizonMs: 60 * 3600_000 + 1, projectIds: [own.project.id] }
    const first = await materializeSchedules(payload, horizon)
    const second = await materializeSchedules(payload, horizon)
    expect(first.created + second.created).toBe(60)
    const latest = await approvePost('Approved after the queue filled up')
    expect(await materializeSchedules(payload, { ...horizon, horizonMs: 61 * 3600_000 + 1 })).toEqual({ created: 1, unfilled: 0 })
    const { docs } = await payload.find({ collection: 'publications', where: { project: { equals: own.project.id } }, sort: '-plannedAt', limit: 1, depth: 0 })
    expect(docs[0].post).toBe(latest.id)
  })
})
