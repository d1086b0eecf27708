import { randomBytes } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import type { Account, User } from '../../src/payload-types'
import { supportThreads } from '../../src/support/messages'
import { createStaff } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { send } from '../helpers/http'
import { gql, rest, type Auth } from '../helpers/rest'
import { PNG } from '../helpers/tenantWorld'
import { startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'

let h: Harness
let support: { user: User; auth: Auth }
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('support')
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.url, GRAPHILE_WORKER_SCHEMA: 'pf_test_support' })
  reloadEnv()
  resetTelegramClient()
  support = await createStaff(h.payload, ['support'])
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await h?.close()
})

/** An API key for a bot customer, so the test can read as them over REST and GraphQL. */
async function apiAuth(account: Account): Promise<Auth> {
  const key = randomBytes(24).toString('hex')
  await h.payload.update({ collection: 'accounts', id: account.id, data: { enableAPIKey: true, apiKey: key }, overrideAccess: true })
  return { apiKey: { collection: 'accounts', key } }
}

const thread = async (accountId: number) =>
  (await h.payload.find({ collection: 'support-messages', where: { account: { equals: accountId } }, sort: 'createdAt', depth: 0, limit: 100, overrideAccess: true })).docs

async function photoMessage(user: TestUser, caption: string) {
  await h.bot.handleUpdate(
    user.messageUpdate({
      photo: [
        { file_id: 'small-photo', file_unique_id: 's1', width: 90, height: 90 },
        { file_id: 'large-photo', file_unique_id: 'l1', width: 1280, height: 1280 },
      ],
      caption,
    }),
  )
}

describe('support', () => {
  it('a customer writes to support from the bot; the message waits unread in the inbox; a staff reply arrives in the chat and is marked delivered', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    await user.send('/support')
    expect(user.lastText()).toBe(t('ru', 'support.intro'))
    await user.send('Не публикуется статья на сайт, помогите')
    expect(user.lastText()).toBe(t('ru', 'support.received'))
    await photoMessage(user, 'Вот скриншот')

    const messages = await thread(account.id)
    expect(messages.map((m) => [m.direction, m.text, m.unread])).toEqual([
      ['in', 'Не публикуется статья на сайт, помогите', true],
      ['in', 'Вот скриншот', true],
    ])
    expect(messages[1].photoFileId).toBe('large-photo')

    // The inbox puts this unread thread first.
    const inbox = await supportThreads(h.payload)
    const mine = inbox.findIndex((row) => row.accountId === account.id)
    expect(mine).toBeGreaterThanOrEqual(0)
    expect(inbox[mine].unread).toBe(2)
    expect(inbox.slice(0, mine).every((row) => row.unread > 0)).toBe(true)

    // Staff answer from the admin (the REST call the inbox's reply box makes).
    const reply = await rest('POST', '/support-messages', { auth: support.auth, body: { account: account.id, direction: 'out', text: 'Проверили: переподключите сайт, пароль приложения устарел.' } })
    expect(reply.status, JSON.stringify(reply.json)).toBe(201)
    expect(reply.json.doc.staffUser).toBeTruthy()
    expect((await thread(account.id)).filter((m) => m.unread)).toHaveLength(0)

    h.fake.clear()
    await deliverNotices(h.payload)
    const delivered = h.fake.callsTo('sendMessage', user.id)
    expect(delivered).toHaveLength(1)
    expect(delivered[0].params.text).toBe(t('ru', 'notify.support_reply', { text: 'Проверили: переподключите сайт, пароль приложения устарел.' }))
    expect(JSON.stringify(delivered[0].params.reply_markup)).toContain('sp:open')
    const stored = await h.payload.findByID({ collection: 'support-messages', id: reply.json.doc.id, overrideAccess: true })
    expect(stored.deliveredAt).toBeTruthy()

    // The customer leaves support mode: what they write now is not sent to support.
    await user.press('sp:x')
    expect(user.lastText()).toBe(t('ru', 'support.left'))
    await user.send('просто текст')
    expect((await thread(account.id)).map((m) => m.text)).not.toContain('просто текст')
  })

  it('a reply to a customer who blocked the bot says so on the message instead of "delivered"', async () => {
    const { account } = await verifiedUser(h, { language: 'en' })
    h.fake.fail('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' })
    const reply = await rest('POST', '/support-messages', { auth: support.auth, body: { account: account.id, text: 'Hello?' } })
    expect(reply.status).toBe(201)
    await deliverNotices(h.payload)
    const stored = await h.payload.findByID({ collection: 'support-messages', id: reply.json.doc.id, overrideAccess: true })
    expect(stored.deliveredAt ?? null).toBeNull()
    expect(stored.deliveryError).toContain('blocked')
  })

  it('another customer reads none of it over REST or GraphQL, and cannot write into it', async () => {
    const a = await verifiedUser(h, { language: 'en' })
    const b = await verifiedUser(h, { language: 'en' })
    await a.user.send('/support')
    await a.user.send('My secret invoice question')
    const [own] = await thread(a.account.id)
    const bAuth = await apiAuth(b.account)
    const aAuth = await apiAuth(a.account)

    const list = await rest('GET', '/support-messages?limit=100&depth=0', { auth: bAuth })
    expect(list.status).toBe(200)
    expect(JSON.stringify(list.json)).not.toContain('secret invoice')
    expect((await rest('GET', `/support-messages/${own.id}`, { auth: bAuth })).status).toBe(404)
    const graph = await gql(`{ SupportMessages(limit: 100) { docs { id text } } SupportMessage(id: ${own.id}) { text } }`, { auth: bAuth })
    expect(JSON.stringify(graph.json)).not.toContain('secret invoice')

    // B posting "into A's thread" writes into B's own thread, as B; B cannot pose as staff.
    const forged = await rest('POST', '/support-messages', { auth: bAuth, body: { account: a.account.id, direction: 'out', text: 'forged', unread: false } })
    if (forged.status === 201) {
      expect(Number(forged.json.doc.account.id ?? forged.json.doc.account)).toBe(b.account.id)
      expect(forged.json.doc.direction).toBe('in')
    } else expect(forged.status).toBe(403)
    expect((await thread(a.account.id)).map((m) => m.text)).not.toContain('forged')
    expect((await rest('PATCH', `/support-messages/${own.id}`, { auth: aAuth, body: { text: 'edited' } })).status).toBe(403)

    // A reads its own thread.
    const mine = await rest('GET', '/support-messages?depth=0', { auth: aAuth })
    expect(mine.json.docs.map((m: { text: string }) => m.text)).toContain('My secret invoice question')
  })

  it('staff see a photo the customer sent (fetched from Telegram by the server); customers and other staff do not', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    h.fake.addFile('large-photo', PNG, 'photos/file_1.png')
    await user.send('/support')
    await photoMessage(user, 'screenshot')
    const [message] = await thread(account.id)
    const auth = (a: Auth) => (a.token ? { authorization: `JWT ${a.token}` } : { authorization: `accounts API-Key ${a.apiKey!.key}` })
    const asSupport = await send({ method: 'GET', path: `/support-messages/${message.id}/photo`, headers: auth(support.auth) })
    expect(asSupport.status).toBe(200)
    expect(Buffer.from(await asSupport.arrayBuffer()).equals(PNG)).toBe(true)
    const asCustomer = await send({ method: 'GET', path: `/support-messages/${message.id}/photo`, headers: auth(await apiAuth(account)) })
    expect(asCustomer.status).toBe(404)
    const editor = await createStaff(h.payload, ['editor'])
    expect((await send({ method: 'GET', path: `/support-messages/${message.id}/photo`, headers: auth(editor.auth) })).status).toBe(404)
  })

  it('a customer cannot set the photo file id over the API (only the bot does), and the bot still can', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const auth = await apiAuth(account)
    const forged = await rest('POST', '/support-messages', { auth, lang: 'en', body: { text: 'look', photoFileId: 'someone-elses-file' } })
    expect(forged.status, JSON.stringify(forged.json)).toBe(403)
    expect(forged.json.errors[0].data).toMatchObject({ code: 'field.forbidden', field: 'photoFileId' })
    const graph = await gql(`mutation { createSupportMessage(data: { account: ${account.id}, direction: in, text: "look", photoFileId: "someone-elses-file" }) { id } }`, { auth })
    expect(graph.json.errors?.[0]?.message, JSON.stringify(graph.json)).toBe('You may not change the field "photoFileId".')
    expect((await thread(account.id)).some((m) => m.photoFileId === 'someone-elses-file')).toBe(false)

    await user.send('/support')
    await photoMessage(user, 'from the bot')
    expect((await thread(account.id)).map((m) => m.photoFileId)).toEqual(['large-photo'])
  })

  it('a customer cannot flood the inbox: 20 messages per 10 minutes on every face, then a translated 429 and one notice in the bot', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const auth = await apiAuth(account)
    for (let i = 0; i < 20; i++) {
      const sent = await rest('POST', '/support-messages', { auth, body: { text: `spam ${i}` } })
      expect(sent.status, JSON.stringify(sent.json)).toBe(201)
    }
    // The bot shares the count: the customer is told once, further messages are dropped without another notice.
    await user.send('/support')
    await user.send('are you there?')
    expect(user.lastText()).toMatch(/^Too many messages to support: at most 20 in 10 minutes\. .* write again in \d+ min\.$/)
    const notices = () => user.texts().filter((text) => /^Too many messages to support/.test(text)).length
    expect(notices()).toBe(1)
    await user.send('hello??')
    await photoMessage(user, 'hello???')
    expect(notices()).toBe(1)
    expect(user.texts().filter((text) => text === t('en', 'support.received'))).toHaveLength(0)

    // Over the API every further message is a translated 429.
    const refused = await rest('POST', '/support-messages', { auth, lang: 'en', body: { text: 'spam 20' } })
    expect(refused.status).toBe(429)
    expect(refused.json.errors[0].message).toMatch(/^Too many messages to support: at most 20 in 10 minutes\. .* write again in \d+ min\.$/)
    // Accept-Language names the answer's language even for an English-speaking account (src/i18n/request.ts).
    const ru = await rest('POST', '/support-messages', { auth, lang: 'ru', body: { text: 'spam 21' } })
    expect(ru.status).toBe(429)
    expect(ru.json.errors[0].message).toMatch(/^Слишком много сообщений в поддержку: не больше 20 за 10 минут\./)
    const graph = await gql(`mutation { createSupportMessage(data: { account: ${account.id}, direction: in, text: "spam 22" }) { id } }`, { auth })
    expect(graph.json.data?.createSupportMessage ?? null).toBeNull()
    expect(graph.json.errors?.[0]?.message).toMatch(/Too many messages to support|Слишком много сообщений/)
    expect(await thread(account.id)).toHaveLength(20)

    // Another customer is not affected.
    const other = await verifiedUser(h, { language: 'en' })
    expect((await rest('POST', '/support-messages', { auth: await apiAuth(other.account), body: { text: 'hi' } })).status).toBe(201)
  })

  it('staff without the support or admin role cannot read the inbox', async () => {
    const editor = await createStaff(h.payload, ['editor'])
    const res = await rest('GET', '/support-messages?limit=1', { auth: editor.auth })
    expect([403, 200]).toContain(res.status)
    if (res.status === 200) expect(res.json.docs).toHaveLength(0)
  })
})
