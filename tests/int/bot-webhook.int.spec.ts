import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { POST } from '../../src/app/api/telegram/route'
import { createBot } from '../../src/bot/bot'
import { createWebhookHandler } from '../../src/bot/webhook'
import { reloadEnv } from '../../src/lib/env'
import { closeRedis, databaseScope, redis } from '../../src/lib/redis'
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from '../helpers/payload'
import { waitFor } from '../helpers/wait'
import { nextUpdateId, TOKEN, webhookRequest } from './bot-harness'

// Everything this file logs goes to a file of its own, read back by the tests.
const logFile = vi.hoisted(() => {
  const file = `${process.cwd()}/.data/test-logs/bot-webhook-${process.pid}-${Date.now()}.log`
  process.env.LOG_FILE = file
  process.env.LOG_LEVEL = 'info'
  return file
})
const logged = () => {
  try {
    return readFileSync(logFile, 'utf8')
  } catch {
    return ''
  }
}

const SECRET = 'webhook-secret-0123456789_abc'
/** The bot's keys carry the database's scope, like every other per-installation key. */
const prefix = () => `pf:bot:${databaseScope()}:`
const savedEnv = { ...process.env }
let fake: FakeTelegram
const userId = randomInt(100_000_000, 2_000_000_000)
const usedUpdateIds: number[] = []

function startUpdate() {
  const update_id = nextUpdateId()
  usedUpdateIds.push(update_id)
  const from = { id: userId, is_bot: false, first_name: 'Hook', language_code: 'en' }
  return {
    update_id,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'Hook' },
      from,
      text: '/start',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    },
  }
}

function post(body: unknown, secret?: string) {
  return POST(webhookRequest(body, secret))
}

async function accounts() {
  const payload = await testPayload()
  return payload.find({
    collection: 'accounts',
    where: { telegramId: { equals: userId } },
    overrideAccess: true,
  })
}

beforeAll(async () => {
  fake = await startFakeTelegram()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.url,
  })
  reloadEnv()
  await testPayload()
})

afterAll(async () => {
  const keys = [
    ...usedUpdateIds.map((id) => `${prefix()}update:${id}`),
    `${prefix()}session:${userId}`,
    `${prefix()}rl:${userId}`,
    `${prefix()}rl:${userId}:notice`,
  ]
  await redis().del(...keys)
  await closeRedis()
  await fake?.close()
  process.env = savedEnv
  reloadEnv()
})

describe('POST /api/telegram', () => {
  it('refuses a missing or wrong secret token with 401 and touches nothing', async () => {
    expect((await post(startUpdate())).status).toBe(401)
    expect((await post(startUpdate(), 'wrong-secret-0123456789_abc')).status).toBe(401)
    expect((await post(startUpdate(), `${SECRET}x`)).status).toBe(401)
    expect(fake.calls).toHaveLength(0)
    expect((await accounts()).totalDocs).toBe(0)
    for (const id of usedUpdateIds) expect(await redis().exists(`${prefix()}update:${id}`)).toBe(0)
  })

  it('processes an update once, however many times Telegram re-sends it', async () => {
    const update = startUpdate()
    const first = await post(update, SECRET)
    expect(first.status).toBe(200)
    expect((await accounts()).totalDocs).toBe(1)
    const sent = fake.callsTo('sendMessage', userId).length
    expect(sent).toBeGreaterThan(0)

    const again = await Promise.all([post(update, SECRET), post(update, SECRET)])
    expect(again.map((r) => r.status)).toEqual([200, 200])
    expect(await again[0].json()).toMatchObject({ duplicate: true })
    expect(fake.callsTo('sendMessage', userId)).toHaveLength(sent)
    expect(await redis().ttl(`${prefix()}update:${update.update_id}`)).toBeGreaterThan(23 * 60 * 60)
    expect(await redis().exists(`${prefix()}session:${userId}`)).toBe(1)
    expect(await redis().exists(`pf:bot:update:${update.update_id}`)).toBe(0)
    expect(await redis().exists(`pf:bot:session:${userId}`)).toBe(0)

    // A new update from the same user is handled normally (/start again: same account).
    expect((await post(startUpdate(), SECRET)).status).toBe(200)
    expect(fake.callsTo('sendMessage', userId).length).toBeGreaterThan(sent)
    expect((await accounts()).totalDocs).toBe(1)
  })

  it('answers a button press inside the webhook response, saving a call to Telegram', async () => {
    const before = fake.callsTo('answerCallbackQuery').length
    const update_id = nextUpdateId()
    usedUpdateIds.push(update_id)
    const from = { id: userId, is_bot: false, first_name: 'Hook', language_code: 'en' }
    const response = await post(
      {
        update_id,
        callback_query: {
          id: `cq-${update_id}`,
          from,
          chat_instance: 'hook',
          data: 'cap:0',
          message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: userId, type: 'private', first_name: 'Hook' }, text: 'check' },
        },
      },
      SECRET,
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ method: 'answerCallbackQuery', callback_query_id: `cq-${update_id}` })
    expect(fake.callsTo('answerCallbackQuery')).toHaveLength(before)
  })

  it('acknowledges an update it cannot handle (poison) once, logs it with its update_id, and never the token', async () => {
    const now = Math.floor(Date.now() / 1000)
    const chat = { id: userId, type: 'private', first_name: 'Hook' }
    const poison = [
      // A private message without `from`, a reaction by an anonymous chat, a button without a
      // message or sender, and update kinds the bot does not know.
      { message: { message_id: 5, date: now, chat, text: 'no sender' } },
      { edited_message: { message_id: 5, date: now, edit_date: now, chat, text: 'no sender' } },
      { message_reaction: { chat, message_id: 5, date: now, actor_chat: { id: -100, type: 'channel', title: 'x' }, old_reaction: [], new_reaction: [{ type: 'emoji', emoji: '👍' }] } },
      { message_reaction: { chat, message_id: 5, date: now, old_reaction: [], new_reaction: [] } },
      { callback_query: { id: 'cq-poison', chat_instance: 'x', data: 'p:list:1' } },
      { something_new: { chat } },
    ]
    for (const body of poison) {
      const update_id = nextUpdateId()
      usedUpdateIds.push(update_id)
      const response = await post({ update_id, ...body }, SECRET)
      expect(response.status, JSON.stringify(body)).toBe(200)
      // Acknowledged for good: the dedupe key stays, so a re-sent copy is not handled again.
      expect(await redis().exists(`${prefix()}update:${update_id}`)).toBe(1)
      expect(await (await post({ update_id, ...body }, SECRET)).json()).toMatchObject({ duplicate: true })
    }
    const lines = logged().split('\n').filter(Boolean).map((line) => JSON.parse(line))
    const failed = lines.filter((line) => line.level >= 50 && line.update_id !== undefined)
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(logged()).not.toContain(TOKEN)
    expect(logged()).not.toContain(TOKEN.split(':')[1])
    expect(logged()).not.toContain(SECRET)
  })

  it('acknowledges an update still running at the webhook timeout, and keeps its id once it ends', async () => {
    const slow = await startFakeTelegram()
    const payload = await testPayload()
    const keyPrefix = `test:webhook-late:${process.pid}:`
    const handler = createWebhookHandler({
      secret: SECRET,
      redis: redis(),
      keyPrefix,
      timeoutMs: 300,
      bot: async () => createBot({ token: TOKEN, payload, redis: redis(), apiRoot: slow.url, botInfo: FAKE_BOT, keyPrefix }),
    })
    // A first update, handled to its end, starts the handler's bot (made on the first update): the
    // time below is the acknowledgement's, not that one-off start's.
    const warm = startUpdate()
    expect((await handler(webhookRequest(warm, SECRET))).status).toBe(200)
    await waitFor(async () => (await redis().ttl(`${keyPrefix}update:${warm.update_id}`)) > 23 * 60 * 60)
    slow.fail('sendMessage', 'hang')
    const update = startUpdate()
    const started = performance.now()
    const response = await handler(webhookRequest(update, SECRET))
    expect(response.status).toBe(200)
    // The call hangs until the fake closes below: an answer at all means the handler let go; within
    // two seconds means it was at its 300 ms timeout, not some later limit.
    expect(performance.now() - started).toBeLessThan(2_000)
    // The Bot API gives up on the hanging call: the update ends in the background, and its id
    // is then kept for the day like any handled update.
    await slow.close()
    const key = `${keyPrefix}update:${update.update_id}`
    await waitFor(async () => (await redis().ttl(key)) > 23 * 60 * 60)
    expect(await redis().ttl(key)).toBeGreaterThan(23 * 60 * 60)
    const keys = await redis().keys(`${keyPrefix}*`)
    if (keys.length > 0) await redis().del(...keys)
  })

  it('answers 400 to a body that is not an update', async () => {
    expect((await post('not json', SECRET)).status).toBe(400)
    expect((await post({ hello: 1 }, SECRET)).status).toBe(400)
  })
})
