import type { Payload } from 'payload'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { GET as publicMedia } from '../../src/app/api/public-media/[id]/[filename]/route'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { resolveUnconfirmed } from '../../src/publishing/lookup'
import { signedMediaUrl } from '../../src/publishing/publicMedia'
import { publishOne } from '../../src/publishing/publish'
import { verifyConnection } from '../../src/publishing/verify'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { startFakeInstagram } from '../fakes/instagram'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { testPayload } from '../helpers/payload'

const SERVER_URL = 'https://app.postforge.example'
let payload: Payload
let t: Tenant
let ig: Awaited<ReturnType<typeof startFakeInstagram>>
let bot: Awaited<ReturnType<typeof startFakeTelegram>>
let accountConnection: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  ig = await startFakeInstagram()
  bot = await startFakeTelegram()
  Object.assign(process.env, {
    INSTAGRAM_GRAPH_BASE: ig.url,
    INSTAGRAM_POLL_INTERVAL_MS: '20',
    INSTAGRAM_POLL_MAX_MS: '2000',
    SERVER_URL,
    TELEGRAM_BOT_TOKEN: `123456:${'I'.repeat(35)}`,
    TELEGRAM_API_ROOT: bot.url,
    PUBLISH_HTTP_TIMEOUT_MS: '1000',
    // Notices queued by writes land in this file's own queue (tests/helpers/workerSchemas.ts).
    GRAPHILE_WORKER_SCHEMA: 'pf_test_publish_instagram',
  })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  t = await createTenant(payload)
  accountConnection = (await connection('Instagram @zerno', ig.token)).id
})

afterAll(async () => {
  await ig?.close()
  await bot?.close()
  process.env = savedEnv
  reloadEnv()
})

async function connection(name: string, accessToken: string) {
  return payload.create({ collection: 'connections', data: { displayName: name, platform: 'instagram', project: t.project.id, credentials: { accessToken, igUserId: ig.igUserId } } as never })
}

async function image(type: 'jpeg' | 'png' = 'jpeg') {
  const data = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#d4a373' } })[type]().toBuffer()
  return payload.create({
    collection: 'media',
    data: { alt: 'Зёрна', project: t.project.id } as never,
    file: { data, mimetype: `image/${type}`, name: `ig-${Date.now()}-${Math.random().toString(36).slice(2)}.${type === 'jpeg' ? 'jpg' : 'png'}`, size: data.length },
  })
}

async function scheduledPost(text: string, { media, connectionId = accountConnection }: { media: number[]; connectionId?: number }) {
  const editor = await createStaff(payload, ['editor'])
  const post = await payload.create({
    collection: 'posts',
    data: { title: 'ig post', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'instagram', text }], media } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  const publication = await payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection: connectionId, post: post.id, plannedAt: new Date().toISOString() } as never,
  })
  return { post, publication }
}

/** Fetches a URL Instagram was given the way Instagram would: no session, just the link. */
async function fetchAsInstagram(url: string) {
  const link = new URL(url)
  const [, , , id, filename] = link.pathname.split('/')
  const response = await publicMedia(new Request(url), { params: Promise.resolve({ id, filename }) })
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) }
}

async function expectReachable(url: string, photo: { id: number; filename?: string | null; filesize?: number | null }) {
  expect(url.startsWith(`${SERVER_URL}/api/public-media/${photo.id}/`)).toBe(true)
  const fetched = await fetchAsInstagram(url)
  expect(fetched.status).toBe(200)
  expect(fetched.bytes.length).toBe(photo.filesize)
  // The signature binds the file: another id or a changed expiry is refused.
  const forged = new URL(url)
  forged.searchParams.set('expires', String(Number(forged.searchParams.get('expires')) + 60))
  expect((await fetchAsInstagram(forged.toString())).status).toBe(403)
}

const published = (marker: string) => ig.state.media.filter((m) => m.caption.includes(marker))
const publication = (id: number) => payload.findByID({ collection: 'publications', id, overrideAccess: true })

describe('publishing to Instagram', () => {
  it('gives Instagram a link to one private image that expires', async () => {
    const photo = await image()
    expect((await fetchAsInstagram(signedMediaUrl(photo.id, photo.filename!))).status).toBe(200)
    const old = signedMediaUrl(photo.id, photo.filename!, { now: Date.now() - 2 * 86_400_000 })
    expect((await fetchAsInstagram(old)).status).toBe(410)
    const other = await image()
    const borrowed = signedMediaUrl(photo.id, photo.filename!).replace(`/${photo.id}/`, `/${other.id}/`)
    expect((await fetchAsInstagram(borrowed)).status).toBe(403)
  })

  it('publishes one image: container from the public media URL, waits until FINISHED, publishes, stores the permalink', async () => {
    const photo = await image()
    const { publication: pub } = await scheduledPost('Утро начинается с эспрессо ☕ #кофе · ig-1', { media: [photo.id] })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const [post] = published('ig-1')
    expect(post.imageUrls).toHaveLength(1)
    await expectReachable(post.imageUrls[0], photo)
    expect(post.caption).toBe('Утро начинается с эспрессо ☕ #кофе · ig-1')
    expect(ig.callsTo('GET /container').length).toBeGreaterThanOrEqual(2)
    expect(await publication(pub.id)).toMatchObject({ status: 'published', remoteId: post.id, remoteUrl: `https://www.instagram.com/p/${post.id}/` })
  })

  it('publishes a carousel from child containers', async () => {
    const photos = [await image(), await image(), await image()]
    const { publication: pub } = await scheduledPost('Три сорта недели · ig-2', { media: photos.map((p) => p.id) })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const [post] = published('ig-2')
    expect(post.children).toHaveLength(3)
    expect(post.imageUrls).toHaveLength(3)
    for (const [i, url] of post.imageUrls.entries()) await expectReachable(url, photos[i])
    const creations = ig.callsTo('POST /media').slice(-4)
    expect(creations.slice(0, 3).every((c) => c.body.is_carousel_item === 'true')).toBe(true)
    expect(creations[3].body).toMatchObject({ media_type: 'CAROUSEL', caption: 'Три сорта недели · ig-2' })
  })

  it('media Meta cannot process fails with what to fix and publishes nothing', async () => {
    ig.state.failProcessing = true
    try {
      const { publication: pub } = await scheduledPost('ig-3', { media: [(await image()).id] })
      const publishCalls = ig.callsTo('POST /media_publish').length
      expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
      expect((await publication(pub.id)).lastError).toContain('aspect ratio')
      expect(ig.callsTo('POST /media_publish')).toHaveLength(publishCalls)
      expect(published('ig-3')).toHaveLength(0)
    } finally {
      ig.state.failProcessing = false
    }
  })

  it('an expired token (190) fails, asks to reconnect and tells the customer', async () => {
    const expired = await connection('Instagram @expired', 'EAAG-expired-token-000')
    const { publication: pub } = await scheduledPost('ig-4', { media: [(await image()).id], connectionId: expired.id })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toContain('The Instagram access expired or was revoked.')
    expect((await payload.findByID({ collection: 'connections', id: expired.id, overrideAccess: true })).status).toBe('needs_reconnect')
    // The notice was queued with the outcome: the worker's task sends it.
    await deliverNotices(payload)
    const told = bot.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes('Could not publish') && String(c.params.text).includes('@expired'))
    expect(told).toHaveLength(1)
  })

  it('429 with Retry-After, and a Graph rate limit (code 4), are re-queued for later', async () => {
    const { publication: pub } = await scheduledPost('ig-5', { media: [(await image()).id] })
    ig.fail('POST /media', { status: 429, body: {}, headers: { 'Retry-After': '120' } })
    const before = Date.now()
    const first = await publishOne(payload, pub.id)
    expect(first.result).toBe('retry')
    if (first.result === 'retry') expect(first.runAt.getTime()).toBeGreaterThanOrEqual(before + 120_000)
    ig.fail('POST /media', { status: 400, body: { error: { message: 'Application request limit reached', type: 'OAuthException', code: 4 } } })
    expect((await publishOne(payload, pub.id)).result).toBe('retry')
    expect((await publication(pub.id)).status).toBe('queued')
    expect(published('ig-5')).toHaveLength(0)
  })

  it('a 5xx is retried with backoff', async () => {
    const { publication: pub } = await scheduledPost('ig-6', { media: [(await image()).id] })
    ig.fail('POST /media_publish', { status: 503, body: { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } } })
    expect((await publishOne(payload, pub.id)).result).toBe('retry')
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    expect(published('ig-6')).toHaveLength(1)
  })

  it('a timeout on media_publish is unconfirmed; the lookup finds the post by its caption, published once', async () => {
    const { publication: pub } = await scheduledPost('Новый дрип-пакет · ig-7', { media: [(await image()).id] })
    ig.fail('POST /media_publish', { hang: 'after' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('found')
    const [post] = published('ig-7')
    expect(await publication(pub.id)).toMatchObject({ status: 'published', remoteId: post.id, remoteUrl: `https://www.instagram.com/p/${post.id}/` })
    expect(published('ig-7')).toHaveLength(1)
  })

  it('the same caption from two publications: a lookup never takes the other one\'s post, and finds its own behind a page of newer ones', async () => {
    const { publication: first } = await scheduledPost('Зерно недели · ig-9', { media: [(await image()).id] })
    expect(await publishOne(payload, first.id)).toMatchObject({ result: 'published' })
    const { publication: second } = await scheduledPost('Зерно недели · ig-9', { media: [(await image()).id] })
    ig.fail('POST /media_publish', { hang: 'drop' })
    expect(await publishOne(payload, second.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, second.id)).toBe('not_found')

    const { publication: third } = await scheduledPost('Обжарка недели · ig-10', { media: [(await image()).id] })
    ig.fail('POST /media_publish', { hang: 'after' })
    expect(await publishOne(payload, third.id)).toMatchObject({ result: 'unconfirmed' })
    const [ours] = published('ig-10')
    for (let i = 0; i < 60; i++) ig.state.media.push({ ...ours, id: `77${i}`, caption: `Другое · ${i}` })
    expect(await resolveUnconfirmed(payload, third.id)).toBe('found')
    expect((await publication(third.id)).remoteId).toBe(ours.id)
  })

  it('a PNG fails before any call: the Graph API publishes JPEG only', async () => {
    // A connection of its own: the file's main one has used up Instagram's 10 calls a minute.
    const fresh = await connection('Instagram @png', ig.token)
    const { publication: pub } = await scheduledPost('ig-8', { media: [(await image('png')).id], connectionId: fresh.id })
    const calls = ig.calls.length
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toBe('The content does not fit this platform: Instagram publishes only JPEG images through its API.')
    expect(ig.calls.length).toBe(calls)
  })

  it('verifies a connection: the account name, or a token to renew', async () => {
    expect(await verifyConnection('instagram', { accessToken: ig.token, igUserId: ig.igUserId })).toEqual({ ok: true, displayName: 'Instagram @zerno.coffee' })
    expect(await verifyConnection('instagram', { accessToken: 'EAAG-old-token-0000', igUserId: ig.igUserId })).toMatchObject({ ok: false, code: 'verify.reauth' })
  })
})
