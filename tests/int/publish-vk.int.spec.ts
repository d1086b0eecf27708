import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker'
import type { Payload } from 'payload'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildTaskList } from '../../src/jobs/taskList'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { resolveUnconfirmed } from '../../src/publishing/lookup'
import { recentUnconfirmed } from '../../src/publishing/publications'
import { publishOne } from '../../src/publishing/publish'
import { verifyConnection } from '../../src/publishing/verify'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { startFakeVk } from '../fakes/vk'
import { deliverNotices } from '../helpers/notices'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { waitFor } from '../helpers/wait'

// Migrated by the global set-up (see tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_publish_vk'
const silent = new Logger(() => () => {})
let payload: Payload
let t: Tenant
let vk: Awaited<ReturnType<typeof startFakeVk>>
let bot: Awaited<ReturnType<typeof startFakeTelegram>>
let communityId: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  vk = await startFakeVk()
  bot = await startFakeTelegram()
  // GRAPHILE_WORKER_SCHEMA: publish jobs and notices queued by writes land in this file's queue.
  Object.assign(process.env, { VK_API_BASE: vk.url, TELEGRAM_BOT_TOKEN: `123456:${'V'.repeat(35)}`, TELEGRAM_API_ROOT: bot.url, PUBLISH_HTTP_TIMEOUT_MS: '1000', GRAPHILE_WORKER_SCHEMA: SCHEMA })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  t = await createTenant(payload)
  communityId = (await community('Кофейня', vk.token)).id
})

afterAll(async () => {
  await vk?.close()
  await bot?.close()
  process.env = savedEnv
  reloadEnv()
})

async function community(name: string, accessToken: string) {
  return payload.create({
    collection: 'connections',
    data: { displayName: name, platform: 'vk', project: t.project.id, credentials: { groupId: vk.groupId, accessToken } } as never,
  })
}

async function scheduledPost(text: string, { media = [] as number[], connection = communityId } = {}) {
  const editor = await createStaff(payload, ['editor'])
  const post = await payload.create({
    collection: 'posts',
    data: { title: 'vk post', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'vk', text }], media } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  const publication = await payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection, post: post.id, plannedAt: new Date().toISOString() } as never,
  })
  return { post, publication }
}

const wallPosts = (marker: string) => vk.state.posts.filter((p) => p.text.includes(marker))
const publication = (id: number) => payload.findByID({ collection: 'publications', id, overrideAccess: true })

describe('publishing to a VK community wall', () => {
  it('uploads the photo through the wall upload server and posts as the community', async () => {
    const data = await sharp({ create: { width: 12, height: 12, channels: 3, background: '#2a5885' } }).jpeg().toBuffer()
    const media = await payload.create({
      collection: 'media',
      data: { alt: 'Латте', project: t.project.id } as never,
      file: { data, mimetype: 'image/jpeg', name: `vk-${Date.now()}.jpg`, size: data.length },
    })
    const { post, publication: pub } = await scheduledPost('Новый сорт: Эфиопия Иргачефф · vk-1', { media: [media.id] })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })

    const [upload] = vk.callsTo('upload')
    expect(upload.files).toEqual([expect.objectContaining({ field: 'photo', type: 'image/jpeg' })])
    expect(vk.callsTo('photos.saveWallPhoto')[0].body).toMatchObject({ group_id: String(vk.groupId), caption: 'Латте', v: '5.199' })
    const [wall] = wallPosts('vk-1')
    expect(wall.attachments).toEqual([`photo-${vk.groupId}_${vk.state.photos.at(-1)!.id}`])
    // The guid (VK drops a repeat within an hour) is the publication's stored random marker.
    expect(vk.callsTo('wall.post').at(-1)!.body).toMatchObject({ owner_id: `-${vk.groupId}`, from_group: '1', guid: `postforge-publication-${(await publication(pub.id)).marker}` })

    const fresh = await publication(pub.id)
    expect(fresh).toMatchObject({ status: 'published', remoteId: `-${vk.groupId}_${wall.id}`, remoteUrl: `https://vk.com/wall-${vk.groupId}_${wall.id}` })
    expect((await payload.findByID({ collection: 'posts', id: post.id })).workflowStatus).toBe('published')
  })

  it('VK flood control (error 9) goes back to the queue for later, with a reason', async () => {
    const { publication: pub } = await scheduledPost('vk-2')
    vk.fail('wall.post', { status: 200, body: { error: { error_code: 9, error_msg: 'Flood control', request_params: [] } } })
    const before = Date.now()
    const outcome = await publishOne(payload, pub.id)
    expect(outcome.result).toBe('retry')
    if (outcome.result === 'retry') expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    const fresh = await publication(pub.id)
    expect(fresh.status).toBe('queued')
    expect(fresh.lastError).toContain('Flood control')
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
  })

  it('HTTP 429 with Retry-After is honoured as the delay', async () => {
    const { publication: pub } = await scheduledPost('vk-3')
    vk.fail('wall.post', { status: 429, body: {}, headers: { 'Retry-After': '240' } })
    const before = Date.now()
    const outcome = await publishOne(payload, pub.id)
    expect(outcome.result).toBe('retry')
    if (outcome.result === 'retry') {
      expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 240_000)
      expect(outcome.runAt.getTime()).toBeLessThan(Date.now() + 250_000)
    }
  })

  it('a 5xx from VK is retried with backoff', async () => {
    const { publication: pub } = await scheduledPost('vk-4')
    vk.fail('wall.post', { status: 502, text: '<html>Bad Gateway</html>' })
    const outcome = await publishOne(payload, pub.id)
    expect(outcome.result).toBe('retry')
    expect((await publication(pub.id)).lastError).toMatch(/try again automatically/)
    expect(wallPosts('vk-4')).toHaveLength(0)
  })

  it('a revoked community key (error 5) fails, asks to reconnect and tells the customer', async () => {
    const revoked = await community('Старый ключ', 'vk1.a.revoked-token-00000')
    const { publication: pub } = await scheduledPost('vk-5', { connection: revoked.id })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    const fresh = await publication(pub.id)
    expect(fresh.lastError).toContain('reconnect the account')
    expect(fresh.lastError).toContain('The community access key is not valid.')
    expect((await payload.findByID({ collection: 'connections', id: revoked.id, overrideAccess: true })).status).toBe('needs_reconnect')
    // The notice was queued with the outcome: the worker's task sends it.
    await deliverNotices(payload)
    const told = bot.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes('Could not publish') && String(c.params.text).includes('Старый ключ'))
    expect(told).toHaveLength(1)
    expect(told[0].params.chat_id).toBe(t.account.telegramId)
  })

  it('a timeout is unconfirmed; the read-only lookup finds the post on the wall, not posted twice', async () => {
    const { publication: pub } = await scheduledPost('Дегустация в субботу · vk-6')
    vk.fail('wall.post', { hang: 'after' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'skipped' })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('found')
    const [wall] = wallPosts('vk-6')
    expect(await publication(pub.id)).toMatchObject({ status: 'published', remoteId: `-${vk.groupId}_${wall.id}` })
    expect(vk.callsTo('wall.post').filter((c) => String(c.body.message).includes('vk-6'))).toHaveLength(1)
    expect(vk.callsTo('wall.get').length).toBeGreaterThan(0)
  })

  it('the same text from two publications: a lookup never takes the other one\'s post, nor a post older than its first call', async () => {
    const { publication: first } = await scheduledPost('Скидка 10% на зерно · vk-9')
    expect(await publishOne(payload, first.id)).toMatchObject({ result: 'published' })
    const { publication: second } = await scheduledPost('Скидка 10% на зерно · vk-9')
    vk.fail('wall.post', { hang: 'drop' })
    expect(await publishOne(payload, second.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, second.id)).toBe('not_found')

    // A post with our text from a day ago was not made by this call.
    const [earlier] = wallPosts('vk-9')
    vk.state.posts.unshift({ ...earlier, id: 1, text: 'Вчерашний анонс · vk-10', date: Math.floor(Date.now() / 1000) - 86_400 })
    const { publication: third } = await scheduledPost('Вчерашний анонс · vk-10')
    vk.fail('wall.post', { hang: 'drop' })
    expect(await publishOne(payload, third.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, third.id)).toBe('not_found')
    expect((await publication(third.id)).status).toBe('unconfirmed')
  })

  it('two lookups at once for two publications with the same text: one post goes to exactly one of them', async () => {
    for (let round = 0; round < 3; round++) {
      const text = `Открытие веранды ${round} · vk-11`
      const { publication: made } = await scheduledPost(text)
      vk.fail('wall.post', { hang: 'after' })
      expect(await publishOne(payload, made.id)).toMatchObject({ result: 'unconfirmed' })
      const { publication: lost } = await scheduledPost(text)
      vk.fail('wall.post', { hang: 'drop' })
      expect(await publishOne(payload, lost.id)).toMatchObject({ result: 'unconfirmed' })
      const outcomes = await Promise.all([resolveUnconfirmed(payload, made.id), resolveUnconfirmed(payload, lost.id)])
      expect(outcomes.filter((o) => o === 'found')).toHaveLength(1)
      expect(wallPosts(`${round} · vk-11`)).toHaveLength(1)
    }
  })

  it('an unconfirmed post that never reached the wall stays unconfirmed for a person', async () => {
    const { publication: pub } = await scheduledPost('vk-7')
    vk.fail('wall.post', { hang: 'drop' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('not_found')
    expect((await publication(pub.id)).status).toBe('unconfirmed')
    expect(wallPosts('vk-7')).toHaveLength(0)
    // The sweeper keeps looking for it, on searchable platforms only.
    expect(await recentUnconfirmed(payload, 48 * 3600_000, 1000, ['vk', 'wordpress'])).toContain(pub.id)
    expect(await recentUnconfirmed(payload, 48 * 3600_000, 1000, ['wordpress'])).not.toContain(pub.id)
  })

  it('an image VK would refuse fails before any call, saying which formats work', async () => {
    const data = await sharp({ create: { width: 12, height: 12, channels: 3, background: '#2a5885' } }).webp().toBuffer()
    const media = await payload.create({
      collection: 'media',
      data: { alt: 'WebP', project: t.project.id } as never,
      file: { data, mimetype: 'image/webp', name: `vk-${Date.now()}.webp`, size: data.length },
    })
    const { publication: pub } = await scheduledPost('vk-8', { media: [media.id] })
    const calls = vk.calls.length
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toBe('The content does not fit this platform: VK takes JPEG, PNG or GIF images.')
    expect(vk.calls.length).toBe(calls)
  })

  it('two workers running the same jobs at once publish each item once', async () => {
    const utils: WorkerUtils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: silent })
    await utils.migrate()
    const pubs = await Promise.all(Array.from({ length: 4 }, (_, i) => scheduledPost(`vk-9-${i}`).then((r) => r.publication)))
    // Each publication's job twice over (a duplicate enqueue, a retried job): only the claim protects it.
    await utils.addJobs(pubs.flatMap((p) => [0, 1].map(() => ({ identifier: 'publication.publish', payload: { publicationId: p.id }, maxAttempts: 1 }))))
    const runners: Runner[] = await Promise.all(
      [0, 1].map(() =>
        run({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, concurrency: 4, taskList: buildTaskList(async () => payload), noHandleSignals: true, logger: silent, preset: { worker: { pollInterval: 100 } } }),
      ),
    )
    try {
      // Until every item is settled (published, or anything else a double post would leave behind).
      await waitFor(async () => {
        const statuses = await Promise.all(pubs.map((p) => publication(p.id).then((f) => f.status)))
        return statuses.every((s) => s !== 'queued' && s !== 'publishing')
      })
    } finally {
      await Promise.all(runners.map((r) => r.stop()))
      await utils.release()
    }
    for (let i = 0; i < pubs.length; i++) {
      expect((await publication(pubs[i].id)).status).toBe('published')
      expect(wallPosts(`vk-9-${i}`)).toHaveLength(1)
    }
  })

  it('a connection over its rate budget is re-queued for later, untouched, without calling VK', async () => {
    Object.assign(process.env, { PUBLISH_CONNECTION_RATE_PER_MIN: '2' })
    reloadEnv()
    try {
      const busy = await community('Занятое сообщество', vk.token)
      const pubs = await Promise.all([1, 2, 3].map((i) => scheduledPost(`vk-10-${i}`, { connection: busy.id }).then((r) => r.publication)))
      const outcomes = []
      // "Later" is measured from before the calls: however long they take on a busy machine, the
      // re-queued one must not come back within the minute the budget counts.
      const asked = Date.now()
      for (const p of pubs) outcomes.push(await publishOne(payload, p.id))
      expect(outcomes.map((o) => o.result)).toEqual(['published', 'published', 'retry'])
      const last = outcomes[2]
      if (last.result === 'retry') expect(last.runAt.getTime()).toBeGreaterThan(asked + 10_000)
      expect(await publication(pubs[2].id)).toMatchObject({ status: 'queued', attempts: 0 })
      expect(wallPosts('vk-10-3')).toHaveLength(0)
    } finally {
      delete process.env.PUBLISH_CONNECTION_RATE_PER_MIN
      reloadEnv()
    }
  })

  it('verifies a connection: the community by name, a dead key, a wrong community', async () => {
    expect(await verifyConnection('vk', { groupId: vk.groupId, accessToken: vk.token })).toEqual({ ok: true, displayName: 'VK Кофейня «Зерно»' })
    expect(await verifyConnection('vk', { groupId: vk.groupId, accessToken: 'vk1.a.dead-token-000' })).toMatchObject({ ok: false, code: 'verify.vk.token_invalid' })
    expect(await verifyConnection('vk', { groupId: 1, accessToken: vk.token })).toMatchObject({ ok: false, code: 'verify.vk.group_not_found' })
  })
})
