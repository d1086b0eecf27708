import { Redis } from 'ioredis'
import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { consoleKeyPrefix } from '../../src/bot/console/session'
import { consoleChatId } from '../../src/telegram/console/store'
import { reloadEnv } from '../../src/lib/env'
import { notice } from '../../src/notify'
import { deliverNotices } from '../helpers/notices'
import { createStaff, createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest, type Auth } from '../helpers/rest'

type Chat = {
  rev: number
  messages: Array<{
    id: number
    from: 'bot' | 'user'
    text: string
    edited?: boolean
    keyboard?: Array<Array<{ text: string; callbackData?: string }>>
  }>
  toasts: Array<{ text: string }>
}

let payload: Payload
let redis: Redis
let staff: { user: { id: number }; auth: Auth }
let other: { user: { id: number }; auth: Auth }

async function post(auth: Auth, body: Record<string, unknown>) {
  const response = await rest('POST', '/bot-console', { auth, body })
  return response as { status: number; json: Chat & { errors?: Array<{ message: string }> } }
}

const say = async (auth: Auth, text: string) => (await post(auth, { kind: 'text', text, language: 'en' })).json
const press = async (auth: Auth, messageId: number, data: string) =>
  (await post(auth, { kind: 'button', messageId, data, language: 'en' })).json
const lastBot = (chat: Chat) => chat.messages.filter((m) => m.from === 'bot').at(-1)!
const buttons = (chat: Chat) => (lastBot(chat).keyboard ?? []).flat()

async function passCaptcha(auth: Auth, staffId: number): Promise<Chat> {
  const chat = await say(auth, '/start')
  const raw = await redis.get(`${consoleKeyPrefix()}session:${consoleChatId(staffId)}`)
  const answer = JSON.parse(raw!).captcha.answer as number
  return press(auth, lastBot(chat).id, `cap:${answer}`)
}

beforeAll(async () => {
  // Notices go through this file's own queue, so no other file's worker takes them.
  process.env.GRAPHILE_WORKER_SCHEMA = 'pf_test_bot_console'
  reloadEnv()
  payload = await testPayload()
  redis = new Redis('redis://127.0.0.1:6379')
  staff = (await createStaff(payload, ['editor'])) as typeof staff
  other = (await createStaff(payload, ['support'])) as typeof other
  // Chats are keyed by staff id in a shared Redis: start from a blank test customer.
  for (const s of [staff, other]) await post(s.auth, { kind: 'reset', account: true })
})

// The bot's flood limit (burst 5, then 1/s) applies to the console too; each test starts with a
// full bucket instead of waiting seconds between messages.
beforeEach(async () => {
  for (const s of [staff, other]) {
    const key = `${consoleKeyPrefix()}rl:${consoleChatId(s.user.id)}`
    await redis.del(key, `${key}:notice`)
  }
})

afterAll(async () => {
  await redis.quit()
})

describe('admin bot console', () => {
  it('lets staff talk to the real bot as a new customer: /start, the human check, the menu', async () => {
    const first = await say(staff.auth, '/start')
    expect(first.messages[0].from).toBe('user')
    expect(first.messages.slice(1).every((m) => m.from === 'bot')).toBe(true)
    expect(first.messages[0].text).toBe('/start')
    expect(buttons(first).every((b) => /^cap:\d$/.test(b.callbackData ?? ''))).toBe(true)
    expect(buttons(first)).toHaveLength(6)

    const menu = await passCaptcha(staff.auth, staff.user.id)
    const account = await payload.find({
      collection: 'accounts',
      where: { telegramId: { equals: consoleChatId(staff.user.id) } },
      overrideAccess: true,
    })
    expect(account.docs[0]?.verifiedHumanAt).toBeTruthy()
    expect(account.docs[0]?.language).toBe('en')
    expect(buttons(menu).length).toBeGreaterThan(0)
    expect(menu.messages.map((m) => m.text).join('\n')).not.toMatch(/ошибк|error/i)
  })

  it('shows edits in place when the bot edits a message after a button press', async () => {
    const before = await say(staff.auth, '/menu')
    const message = lastBot(before)
    const target = (message.keyboard ?? []).flat().find((b) => b.callbackData)
    expect(target).toBeDefined()
    const after = await press(staff.auth, message.id, target!.callbackData!)
    // The menu's buttons open their screen in the same message, as in Telegram.
    const same = after.messages.find((m) => m.id === message.id)
    expect(same?.edited).toBe(true)
    expect(same?.text).not.toBe(message.text)
    expect(after.messages).toHaveLength(before.messages.length)
    expect(after.rev).toBeGreaterThan(before.rev)
  })

  it('shows what the worker sends the test customer (a failed publication notice) without a token', async () => {
    const { docs } = await payload.find({
      collection: 'accounts',
      where: { telegramId: { equals: consoleChatId(staff.user.id) } },
      overrideAccess: true,
    })
    const queued = await notice(payload, {
      accountId: docs[0].id,
      event: 'publication.failed',
      data: { publicationId: 1, title: 'Espresso at home', connection: 'Coffee blog', connectionId: 1, reason: 'WordPress refused the password.', kind: 'reauth', collection: 'articles' },
    })
    expect(queued.alreadyQueued).toBe(false)
    await deliverNotices(payload)
    const chat = (await rest('GET', '/bot-console', { auth: staff.auth })).json as Chat
    expect(lastBot(chat).text).toContain('Espresso at home')
    expect(lastBot(chat).text).toContain('WordPress refused the password.')
  })

  it('a customer blocked in the admin is refused on the very next message (no stale account)', async () => {
    const where = { telegramId: { equals: consoleChatId(staff.user.id) } }
    expect(lastBot(await say(staff.auth, '/menu')).text).toContain('Main menu')
    await payload.update({ collection: 'accounts', where, data: { status: 'blocked' }, overrideAccess: true })
    expect(lastBot(await say(staff.auth, '/menu')).text).toContain('blocked')
    await payload.update({ collection: 'accounts', where, data: { status: 'active' }, overrideAccess: true })
    expect(lastBot(await say(staff.auth, '/menu')).text).toContain('Main menu')
  })

  it('answers nothing changed to a poll with the current revision', async () => {
    const chat = (await rest('GET', '/bot-console', { auth: staff.auth })).json as Chat
    const again = await rest('GET', `/bot-console?rev=${chat.rev}`, { auth: staff.auth })
    expect(again.json).toEqual({ changed: false, rev: chat.rev })
  })

  it('keeps each staff member in their own chat with their own test customer', async () => {
    const mine = (await rest('GET', '/bot-console', { auth: staff.auth })).json as Chat
    const theirs = (await rest('GET', '/bot-console', { auth: other.auth })).json as Chat
    expect(mine.messages.length).toBeGreaterThan(0)
    expect(theirs.messages).toEqual([])
  })

  it('refuses customers and anonymous callers, and bad input with a clear message', async () => {
    const tenant = await createTenant(payload)
    expect((await rest('GET', '/bot-console', { auth: tenant.auth })).status).toBe(403)
    expect((await rest('POST', '/bot-console', { body: { kind: 'text', text: '/start' } })).status).toBe(403)
    const bad = await post(staff.auth, { kind: 'text', text: '' })
    expect(bad.status).toBe(422)
    expect(bad.json.errors?.[0]?.message).toMatch(/text/)
  })

  it('starts over: clearing the chat forgets the transcript, a new customer passes the check again', async () => {
    const cleared = await post(staff.auth, { kind: 'reset' })
    expect(cleared.json.messages).toEqual([])
    const stillKnown = await say(staff.auth, '/start')
    expect(buttons(stillKnown).some((b) => b.callbackData?.startsWith('cap:'))).toBe(false)

    await post(staff.auth, { kind: 'reset', account: true })
    const fresh = await say(staff.auth, '/start')
    expect(buttons(fresh).filter((b) => b.callbackData?.startsWith('cap:'))).toHaveLength(6)
  })
})
