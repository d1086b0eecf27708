import type { Payload } from 'payload'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { unseal, type SealedSecret } from '../../src/lib/crypto'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { resolveUnconfirmed } from '../../src/publishing/lookup'
import { publishOne } from '../../src/publishing/publish'
import { verifyConnection } from '../../src/publishing/verify'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { startFakePinterest } from '../fakes/pinterest'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { testPayload } from '../helpers/payload'

let payload: Payload
let t: Tenant
let pin: Awaited<ReturnType<typeof startFakePinterest>>
let bot: Awaited<ReturnType<typeof startFakeTelegram>>
let boardConnection: number
let imageId: number
const savedEnv = { ...process.env }
const ACCESS = 'pina_valid_access_token_000'
const REFRESH = 'pinr_valid_refresh_token_000'
const farExpiry = () => new Date(Date.now() + 20 * 86_400_000).toISOString()

beforeAll(async () => {
  pin = await startFakePinterest()
  bot = await startFakeTelegram()
  Object.assign(process.env, {
    PINTEREST_API_BASE: pin.url,
    PINTEREST_CLIENT_ID: pin.clientId,
    PINTEREST_CLIENT_SECRET: pin.clientSecret,
    TELEGRAM_BOT_TOKEN: `123456:${'P'.repeat(35)}`,
    TELEGRAM_API_ROOT: bot.url,
    PUBLISH_HTTP_TIMEOUT_MS: '1000',
    // Notices queued by writes land in this file's own queue (tests/helpers/workerSchemas.ts).
    GRAPHILE_WORKER_SCHEMA: 'pf_test_publish_pinterest',
  })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  t = await createTenant(payload)
  boardConnection = (await connection('Pinterest · Кофе', { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: farExpiry(), boardId: pin.boardId })).id
  const data = await sharp({ create: { width: 20, height: 30, channels: 3, background: '#c8102e' } }).png().toBuffer()
  imageId = (
    await payload.create({
      collection: 'media',
      data: { alt: 'Чашка капучино', project: t.project.id } as never,
      file: { data, mimetype: 'image/png', name: `pin-${Date.now()}.png`, size: data.length },
    })
  ).id
})

afterAll(async () => {
  await pin?.close()
  await bot?.close()
  process.env = savedEnv
  reloadEnv()
})

async function connection(name: string, credentials: Record<string, unknown>) {
  return payload.create({ collection: 'connections', data: { displayName: name, platform: 'pinterest', project: t.project.id, credentials } as never })
}

async function scheduledPin(text: string, { connectionId = boardConnection, media = [imageId] } = {}) {
  const editor = await createStaff(payload, ['editor'])
  const post = await payload.create({
    collection: 'posts',
    data: { title: `Капучино ${text}`, project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'pinterest', text }], media } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  const publication = await payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection: connectionId, post: post.id, plannedAt: new Date().toISOString() } as never,
  })
  return { post, publication }
}

const pinsWith = (marker: string) => pin.state.pins.filter((p) => p.description.includes(marker))
const publication = (id: number) => payload.findByID({ collection: 'publications', id, overrideAccess: true })
const storedCredentials = async (id: number) => {
  const c = await payload.findByID({ collection: 'connections', id, overrideAccess: true })
  return unseal(c.credentials as SealedSecret) as Record<string, string>
}

describe('publishing to Pinterest', () => {
  it('creates a pin on the board with the image inline and stores its id and link', async () => {
    const { publication: pub } = await scheduledPin('Рецепт идеального капучино · pin-1')
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const [made] = pinsWith('pin-1')
    expect(made).toMatchObject({ board_id: pin.boardId, title: 'Капучино Рецепт идеального капучино · pin-1', alt_text: 'Чашка капучино', note: `postforge-publication-${(await publication(pub.id)).marker}` })
    expect(made.imageBytes).toBeGreaterThan(50)
    expect(pin.callsTo('POST /v5/pins').at(-1)!.headers.authorization).toBe(`Bearer ${ACCESS}`)
    expect(await publication(pub.id)).toMatchObject({ status: 'published', remoteId: made.id, remoteUrl: `https://www.pinterest.com/pin/${made.id}/` })
  })

  it('refreshes a token about to expire before pinning, stores it sealed, and keeps the refresh token', async () => {
    const soon = await connection('Pinterest · скоро истечёт', { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: new Date(Date.now() + 3600_000).toISOString(), boardId: pin.boardId })
    const { publication: pub } = await scheduledPin('pin-2', { connectionId: soon.id })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const refresh = pin.callsTo('POST /v5/oauth/token').at(-1)!
    expect(refresh.body).toEqual({ grant_type: 'refresh_token', refresh_token: REFRESH })
    expect(refresh.headers.authorization).toBe(`Basic ${Buffer.from(`${pin.clientId}:${pin.clientSecret}`).toString('base64')}`)
    const stored = await storedCredentials(soon.id)
    expect(stored.accessToken).toMatch(/^pina_refreshed_/)
    expect(stored.refreshToken).toBe(REFRESH)
    expect(new Date(stored.expiresAt).getTime()).toBeGreaterThan(Date.now() + 20 * 86_400_000)
    expect(pin.callsTo('POST /v5/pins').at(-1)!.headers.authorization).toBe(`Bearer ${stored.accessToken}`)
    expect((await payload.findByID({ collection: 'connections', id: soon.id, overrideAccess: true })).status).toBe('active')
  })

  it('stores a rotated refresh token when Pinterest issues one', async () => {
    pin.state.rotateRefreshToken = true
    try {
      const soon = await connection('Pinterest · ротация', { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: new Date(Date.now() - 1000).toISOString(), boardId: pin.boardId })
      const { publication: pub } = await scheduledPin('pin-3', { connectionId: soon.id })
      expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
      expect((await storedCredentials(soon.id)).refreshToken).toMatch(/^pinr_rotated_/)
    } finally {
      pin.state.rotateRefreshToken = false
      pin.state.refreshTokens.add(REFRESH)
    }
  })

  it('a token Pinterest refuses, with nothing to refresh it, fails and asks to reconnect', async () => {
    const dead = await connection('Pinterest · отозван', { accessToken: 'pina_revoked_token_000', boardId: pin.boardId })
    const { publication: pub } = await scheduledPin('pin-4', { connectionId: dead.id })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toContain('reconnect the account')
    expect((await payload.findByID({ collection: 'connections', id: dead.id, overrideAccess: true })).status).toBe('needs_reconnect')
    // The notice was queued with the outcome: the worker's task sends it.
    await deliverNotices(payload)
    const told = bot.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes('Could not publish') && String(c.params.text).includes('отозван'))
    expect(told).toHaveLength(1)
    expect(pinsWith('pin-4')).toHaveLength(0)
  })

  it('429 with Retry-After is re-queued with that delay', async () => {
    const { publication: pub } = await scheduledPin('pin-5')
    pin.fail('POST /v5/pins', { status: 429, body: { code: 8, message: 'Rate limit exceeded' }, headers: { 'Retry-After': '180' } })
    const before = Date.now()
    const outcome = await publishOne(payload, pub.id)
    expect(outcome.result).toBe('retry')
    if (outcome.result === 'retry') expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 180_000)
    expect((await publication(pub.id)).status).toBe('queued')
  })

  it('a 5xx is retried with backoff and then pins once', async () => {
    const { publication: pub } = await scheduledPin('pin-6')
    pin.fail('POST /v5/pins', { status: 500, body: { code: 0, message: 'Internal error' } })
    expect((await publishOne(payload, pub.id)).result).toBe('retry')
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    expect(pinsWith('pin-6')).toHaveLength(1)
  })

  it('a timeout is unconfirmed, then the lookup finds the pin by its private note', async () => {
    const { publication: pub } = await scheduledPin('pin-7')
    pin.fail('POST /v5/pins', { hang: 'after' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('found')
    const [made] = pinsWith('pin-7')
    expect(await publication(pub.id)).toMatchObject({ status: 'published', remoteId: made.id })
    expect(pin.callsTo('POST /v5/pins').filter((c) => String(c.body.description).includes('pin-7'))).toHaveLength(1)
  })

  it('a pin another installation made for a publication with the same id is not ours, nor one older than our first call', async () => {
    const { publication: pub } = await scheduledPin('pin-9')
    pin.fail('POST /v5/pins', { hang: 'drop' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    const other = { id: '9990001', board_id: pin.boardId, title: 'Капучино pin-9', description: 'pin-9', imageBytes: 10 }
    // Same id, same title: what a staging copy or a recreated database on this board would post.
    pin.state.pins.push({ ...other, note: `postforge-publication-${pub.id}`, created_at: new Date().toISOString().slice(0, 19) })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('not_found')
    // Our own marker on a pin dated a day before the call is not this call's pin either.
    const { marker } = await publication(pub.id)
    pin.state.pins.unshift({ ...other, id: '9990002', note: `postforge-publication-${marker}`, created_at: new Date(Date.now() - 86_400_000).toISOString().slice(0, 19) })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('not_found')
    expect((await publication(pub.id)).status).toBe('unconfirmed')
  })

  it('a post without an image fails before any call: a pin needs one', async () => {
    const { publication: pub } = await scheduledPin('pin-8', { media: [] })
    const calls = pin.calls.length
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toBe('The content does not fit this platform: A pin needs an image.')
    expect(pin.calls.length).toBe(calls)
  })

  it('verifies a connection: the account and board, or a board that is gone', async () => {
    const good = { accessToken: ACCESS, boardId: pin.boardId }
    expect(await verifyConnection('pinterest', good)).toEqual({ ok: true, displayName: 'Pinterest @zerno_coffee · Кофе' })
    expect(await verifyConnection('pinterest', { ...good, boardId: '1' })).toMatchObject({ ok: false, code: 'verify.pinterest.board_not_found' })
    expect(await verifyConnection('pinterest', { ...good, accessToken: 'pina_bad_token_0000' })).toMatchObject({ ok: false, code: 'verify.reauth' })
  })
})
