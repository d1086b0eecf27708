import { randomInt } from 'node:crypto'

import type { Update } from 'grammy/types'
import { Redis } from 'ioredis'
import type { Payload } from 'payload'
import { expect } from 'vitest'

import { createBot } from '../../src/bot/bot'
import type { SessionData } from '../../src/bot/context'
import { TELEGRAM_LIMITS, type OutgoingLimits } from '../../src/telegram/outgoing'
import { DEFAULT_LIMITS, type RateLimits } from '../../src/bot/rateLimit'
import type { Account } from '../../src/payload-types'
import { FAKE_BOT, startFakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from '../helpers/payload'

export const TOKEN = `7000000001:${'T'.repeat(35)}`
export const REDIS_URL = 'redis://127.0.0.1:6379'

/** Generous enough that only the rate-limit test ever meets the per-user limit. */
export const RELAXED: RateLimits = {
  ...DEFAULT_LIMITS,
  updates: { capacity: 10_000, perSecond: 10_000 },
}

/** Telegram's send pacing, loosened so flows run at test speed; the pacing test uses the real one. */
export const FAST_OUTGOING: OutgoingLimits = {
  ...TELEGRAM_LIMITS,
  global: { perSecond: 10_000, burst: 10_000 },
  perChat: { perSecond: 10_000, burst: 10_000 },
  perGroup: { perSecond: 10_000, burst: 10_000 },
}

let updateId = randomInt(1_000_000, 1_000_000_000)

/** The bot under test on real Postgres and Redis, a fake Bot API, and a key prefix of its own. */
export async function startHarness(name: string, limits: RateLimits = RELAXED) {
  const fake = await startFakeTelegram()
  const payload = await testPayload()
  const redis = new Redis(REDIS_URL)
  const keyPrefix = `test:${name}:${process.pid}:${Date.now()}:`
  const newBot = (overrides: { limits?: RateLimits; outgoing?: OutgoingLimits } = {}) =>
    createBot({
      token: TOKEN,
      payload,
      redis,
      apiRoot: fake.url,
      botInfo: FAKE_BOT,
      keyPrefix,
      limits: overrides.limits ?? limits,
      outgoing: overrides.outgoing ?? FAST_OUTGOING,
    })
  const harness = {
    fake,
    payload,
    redis,
    keyPrefix,
    bot: newBot(),
    newBot,
    async session(chatId: number): Promise<SessionData> {
      return JSON.parse((await redis.get(`${keyPrefix}session:${chatId}`)) ?? '{}')
    },
    async close() {
      const keys = await redis.keys(`${keyPrefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      await redis.quit()
      await fake.close()
    },
  }
  return harness
}
export type Harness = Awaited<ReturnType<typeof startHarness>>

export function nextUpdateId() {
  return ++updateId
}

/** A Telegram user in a private chat with the bot, sending real update shapes. */
export function telegramUser(
  h: Harness,
  options: { id?: number; language?: string; bot?: () => Harness['bot'] } = {},
) {
  const id = options.id ?? randomInt(100_000_000, 2_000_000_000)
  const from = {
    id,
    is_bot: false,
    first_name: 'Test',
    last_name: 'User',
    username: `u${id}`,
    language_code: options.language ?? 'en',
  }
  const chat = { id, type: 'private' as const, first_name: 'Test' }
  let messageId = 1
  const bot = () => options.bot?.() ?? h.bot
  const deliver = (update: Update) => bot().handleUpdate(update)

  const messageUpdate = (extra: Record<string, unknown>): Update =>
    ({
      update_id: nextUpdateId(),
      message: {
        message_id: ++messageId,
        date: Math.floor(Date.now() / 1000),
        chat,
        from,
        ...extra,
      },
    }) as Update

  return {
    id,
    messageUpdate,
    send: (text: string) => {
      const entities = text.startsWith('/')
        ? [{ type: 'bot_command', offset: 0, length: text.split(' ')[0].length }]
        : undefined
      return deliver(messageUpdate({ text, entities }))
    },
    sendDocument: (document: {
      file_id: string
      file_name: string
      file_size: number
      mime_type?: string
    }) =>
      deliver(
        messageUpdate({ document: { file_unique_id: `u-${document.file_id}`, ...document } }),
      ),
    sendSticker: () =>
      deliver(
        messageUpdate({
          sticker: {
            file_id: 's',
            file_unique_id: 's',
            type: 'regular',
            width: 1,
            height: 1,
            is_animated: false,
            is_video: false,
          },
        }),
      ),
    pressUpdate: (data: string, onMessageId = 50): Update =>
      ({
        update_id: nextUpdateId(),
        callback_query: {
          id: String(randomInt(1, 2 ** 40)),
          from,
          chat_instance: 'ci',
          data,
          message: {
            message_id: onMessageId,
            date: Math.floor(Date.now() / 1000),
            chat,
            from: FAKE_BOT,
            text: 'screen',
          },
        },
      }) as Update,
    press(data: string, onMessageId = 50) {
      return deliver(this.pressUpdate(data, onMessageId))
    },
    /** Texts the bot showed this user since the fake was last cleared. */
    texts: () => h.fake.textsTo(id),
    lastText: () => h.fake.textsTo(id).at(-1) ?? '',
    /** Every button on the last screen shown to this user. */
    lastButtons(): Array<{ text: string; callback_data: string }> {
      const call = h.fake.calls
        .filter(
          (c) =>
            ['sendMessage', 'editMessageText'].includes(c.method) &&
            Number(c.params.chat_id) === id,
        )
        .at(-1)
      return (call?.params.reply_markup?.inline_keyboard ?? []).flat()
    },
    alerts: () => h.fake.callsTo('answerCallbackQuery').map((c) => String(c.params.text ?? '')),
  }
}
export type TestUser = ReturnType<typeof telegramUser>

/** /start plus the human check, answered from the session: a ready, verified account. */
export async function verifiedUser(
  h: Harness,
  options: Parameters<typeof telegramUser>[1] = {},
): Promise<{ user: TestUser; account: Account }> {
  const user = telegramUser(h, options)
  await user.send('/start')
  const captcha = (await h.session(user.id)).captcha
  expect(captcha).toBeDefined()
  await user.press(`cap:${captcha!.answer}`)
  const account = await accountOf(h.payload, user.id)
  expect(account?.verifiedHumanAt).toBeTruthy()
  return { user, account: account! }
}

export async function accountOf(payload: Payload, telegramId: number): Promise<Account | null> {
  const { docs } = await payload.find({
    collection: 'accounts',
    where: { telegramId: { equals: telegramId } },
    overrideAccess: true,
  })
  return docs[0] ?? null
}

/** Presses each button as `user` and expects each answer to alert with `text` (forged data). */
export async function expectAlerts(h: Harness, user: TestUser, data: string[], text: string) {
  for (const item of data) {
    h.fake.clear()
    await user.press(item)
    expect(user.alerts().join(' '), item).toContain(text)
  }
}

/** A webhook call as Telegram makes it: JSON (or a raw body) and, when given, the secret token. */
export function webhookRequest(body: unknown, secret?: string): Request {
  const headers = new Headers({ 'content-type': 'application/json' })
  if (secret !== undefined) headers.set('X-Telegram-Bot-Api-Secret-Token', secret)
  return new Request('http://localhost:3000/api/telegram', {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
