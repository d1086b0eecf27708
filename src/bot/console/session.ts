import type { Bot } from 'grammy'
import type { Update, User } from 'grammy/types'
import type { Payload } from 'payload'
import { z } from 'zod'

import type { Language } from '../../i18n'
import { env } from '../../lib/env'
import { logger } from '../../lib/logger'
import { databaseScope, redis } from '../../lib/redis'
import { createBot } from '../bot'
import type { BotContext } from '../context'
import { consoleChatId, consoleStore, type ConsoleState } from '../../telegram/console/store'
import { CONSOLE_BOT_INFO, consoleTransport } from '../../telegram/console/transport'
import { trimSlash } from '../../lib/text'
import { TELEGRAM_TEXT_LIMITS } from '../../telegram/limits'

/** What a tester can do in the console: type, press a button, attach a file, start over. */
export const ConsoleInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().trim().min(1).max(TELEGRAM_TEXT_LIMITS.message) }),
  z.object({
    kind: z.literal('button'),
    messageId: z.number().int().positive(),
    data: z.string().min(1).max(TELEGRAM_TEXT_LIMITS.callbackDataBytes),
  }),
  z.object({
    kind: z.literal('file'),
    name: z.string().trim().min(1).max(255),
    mimeType: z.string().max(100).default('application/octet-stream'),
    /** Base64; at most 5 MB of content. */
    base64: z.string().max(7_000_000),
    caption: z.string().max(TELEGRAM_TEXT_LIMITS.caption).optional(),
  }),
])
export type ConsoleInput = z.infer<typeof ConsoleInput>

/** The console bot's sessions and limits, apart from the Telegram bot's and per database. */
export function consoleKeyPrefix(): string {
  return `pf:bot:console:${databaseScope()}:`
}

let bot: Promise<Bot<BotContext>> | undefined

/**
 * The same bot as Telegram's (createBot, the same features, sessions and limits), with its API
 * calls for console chats answered by the console store. Built once per process, on first use.
 */
export function consoleBot(payload: Payload): Promise<Bot<BotContext>> {
  bot ??= (async () => {
    const settings = env()
    const token = settings.TELEGRAM_BOT_TOKEN
    const instance = createBot({
      token: token ?? '0:console',
      payload,
      redis: redis(),
      apiRoot: settings.TELEGRAM_API_ROOT,
      botInfo: token ? undefined : CONSOLE_BOT_INFO,
      keyPrefix: consoleKeyPrefix(),
      log: logger().child({ process: 'bot', via: 'console' }),
      fileUrl: (path) =>
        `${trimSlash(settings.SERVER_URL)}/api/bot-console/file/${path.replace(/^console\//, '')}`,
    })
    instance.api.config.use(
      consoleTransport(consoleStore(), { telegram: Boolean(token), botInfo: CONSOLE_BOT_INFO }),
    )
    await instance.init()
    return instance
  })().catch((error) => {
    bot = undefined
    throw error
  })
  return bot
}

function testerOf(staffId: number, language: Language): User {
  return {
    id: consoleChatId(staffId),
    is_bot: false,
    first_name: 'Console',
    last_name: `#${staffId}`,
    username: `console_${staffId}`,
    language_code: language,
  }
}

let callbackSeq = 0

/**
 * Turns what the tester did into the Telegram update the bot would get, records the tester's
 * own message in the transcript, and runs the update through the bot. Returns the chat after.
 */
export async function consoleSend(
  payload: Payload,
  staffId: number,
  language: Language,
  input: ConsoleInput,
): Promise<ConsoleState> {
  const instance = await consoleBot(payload)
  const chats = consoleStore()
  const from = testerOf(staffId, language)
  const chat = { id: from.id, type: 'private' as const, first_name: from.first_name }
  const update_id = await chats.nextUpdateId()
  let update: Update
  if (input.kind === 'button') {
    const message = await chats.get(chat.id, input.messageId)
    update = {
      update_id,
      callback_query: {
        id: `console:${chat.id}:${++callbackSeq}`,
        from,
        chat_instance: `console${chat.id}`,
        data: input.data,
        message: {
          message_id: input.messageId,
          date: message?.date ?? Math.floor(Date.now() / 1000),
          chat,
          from: instance.botInfo,
          text: message?.text ?? '',
        },
      },
    }
  } else if (input.kind === 'text') {
    const shown = await chats.append(chat.id, { from: 'user', text: input.text })
    const command = /^\/[a-z0-9_]+/i.exec(input.text)
    update = {
      update_id,
      message: {
        message_id: shown.id,
        date: shown.date,
        chat,
        from,
        text: input.text,
        ...(command ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command[0].length }] } : {}),
      },
    }
  } else {
    const content = Buffer.from(input.base64, 'base64')
    const key = await chats.putFile(content)
    const shown = await chats.append(chat.id, {
      from: 'user',
      text: input.caption ?? '',
      attachment: { kind: 'document', name: input.name, bytes: content.length },
    })
    update = {
      update_id,
      message: {
        message_id: shown.id,
        date: shown.date,
        chat,
        from,
        ...(input.caption ? { caption: input.caption } : {}),
        document: {
          file_id: `console-${key}`,
          file_unique_id: key,
          file_name: input.name,
          mime_type: input.mimeType,
          file_size: content.length,
        },
      },
    }
  }
  await instance.handleUpdate(update)
  return chats.state(chat.id)
}

/**
 * Starts the console chat over: the transcript and the bot's session (any open conversation).
 * With `account`, the test account and everything it owns are deleted too, so the next /start
 * is a brand-new customer.
 */
export async function consoleReset(payload: Payload, staffId: number, { account = false } = {}) {
  const chatId = consoleChatId(staffId)
  await consoleStore().clear(chatId)
  const prefix = consoleKeyPrefix()
  await redis().del(`${prefix}session:${chatId}`, `${prefix}captcha:lock:${chatId}`)
  if (account) {
    // A new customer: its rate-limit bucket starts full, as for anyone who just arrived.
    await redis().del(`${prefix}rl:${chatId}`, `${prefix}rl:${chatId}:notice`)
    await payload.delete({
      collection: 'accounts',
      where: { telegramId: { equals: chatId } },
      overrideAccess: true,
    })
  }
}
