import { randomInt } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { POST } from '../../src/app/api/telegram/route'
import { reloadEnv } from '../../src/lib/env'
import { closeRedis, redis } from '../../src/lib/redis'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from '../helpers/payload'
import { nextUpdateId, TOKEN } from './bot-harness'

const SECRET = 'webhook-secret-0123456789_abc'
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
  const headers = new Headers({ 'content-type': 'application/json' })
  if (secret !== undefined) headers.set('X-Telegram-Bot-Api-Secret-Token', secret)
  return POST(
    new Request('http://localhost:3000/api/telegram', {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
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
    ...usedUpdateIds.map((id) => `pf:bot:update:${id}`),
    `pf:bot:session:${userId}`,
    `pf:bot:rl:${userId}`,
    `pf:bot:rl:${userId}:notice`,
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
    for (const id of usedUpdateIds) expect(await redis().exists(`pf:bot:update:${id}`)).toBe(0)
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
    expect(await redis().ttl(`pf:bot:update:${update.update_id}`)).toBeGreaterThan(23 * 60 * 60)

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

  it('answers 400 to a body that is not an update', async () => {
    expect((await post('not json', SECRET)).status).toBe(400)
    expect((await post({ hello: 1 }, SECRET)).status).toBe(400)
  })
})
