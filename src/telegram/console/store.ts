import { randomBytes } from 'node:crypto'

import type { Redis } from 'ioredis'

import { databaseScope, redis } from '../../lib/redis'

/**
 * The admin bot console: staff chat with the real bot in the browser as a test account. Its
 * Telegram side is this store in Redis: what the bot "sends" to a console chat is kept here
 * (messages with their buttons and edits, callback toasts, the draft being streamed) and the
 * browser polls it. Nothing is global in the process, so the web app, the worker and a second
 * instance all see the same chat.
 */

/** Console chats live far above any real Telegram user id (ids are below 2^52, real ones ~1e10). */
export const CONSOLE_CHAT_BASE = 4_000_000_000_000_000
const CONSOLE_CHAT_SPAN = 1_000_000_000

export function consoleChatId(staffUserId: number): number {
  return CONSOLE_CHAT_BASE + staffUserId
}

export function isConsoleChat(chatId: unknown): boolean {
  const id = typeof chatId === 'string' && /^\d+$/.test(chatId) ? Number(chatId) : chatId
  return typeof id === 'number' && id >= CONSOLE_CHAT_BASE && id < CONSOLE_CHAT_BASE + CONSOLE_CHAT_SPAN
}

export type ConsoleButton = { text: string; callbackData?: string; url?: string }

export type ConsoleMessage = {
  id: number
  from: 'bot' | 'user'
  /** Unix seconds, as Telegram stamps messages. */
  date: number
  text: string
  /** 'HTML' when the text carries Telegram's HTML subset; plain otherwise. */
  parseMode?: 'HTML'
  keyboard?: ConsoleButton[][]
  /** A file the bot sent (name and size) or a photo, shown as an attachment line. */
  attachment?: { kind: 'document' | 'photo'; name: string; bytes: number }
  edited?: boolean
  deleted?: boolean
}

export type ConsoleToast = { at: number; text: string; alert: boolean }

export type ConsoleState = {
  chatId: number
  /** Grows with every change; the browser asks "anything after rev N?". */
  rev: number
  messages: ConsoleMessage[]
  toasts: ConsoleToast[]
  draft: string | null
}

const KEEP_MESSAGES = 200
const TTL_SECONDS = 7 * 24 * 60 * 60
const FILE_TTL_SECONDS = 15 * 60

export class ConsoleStore {
  constructor(
    private readonly redis: Redis,
    // Console chat ids come from staff ids, which repeat across databases: keep each apart.
    private readonly prefix = `pf:console:${databaseScope()}:`,
  ) {}

  private key(chatId: number, part: string) {
    return `${this.prefix}${chatId}:${part}`
  }

  /** Appends a message with the next id of this chat (ids are per chat, as in Telegram). */
  async append(chatId: number, message: Omit<ConsoleMessage, 'id' | 'date'>): Promise<ConsoleMessage> {
    const id = await this.redis.incr(this.key(chatId, 'seq'))
    const stored: ConsoleMessage = { ...message, id, date: Math.floor(Date.now() / 1000) }
    const messages = this.key(chatId, 'messages')
    await this.redis
      .multi()
      .hset(messages, String(id), JSON.stringify(stored))
      .zadd(this.key(chatId, 'order'), id, String(id))
      .hdel(this.key(chatId, 'meta'), 'draft')
      .hincrby(this.key(chatId, 'meta'), 'rev', '1')
      .exec()
    await this.trim(chatId)
    await this.touch(chatId)
    return stored
  }

  async get(chatId: number, id: number): Promise<ConsoleMessage | null> {
    const raw = await this.redis.hget(this.key(chatId, 'messages'), String(id))
    return raw ? (JSON.parse(raw) as ConsoleMessage) : null
  }

  /** Changes a message in place (an edit); null when there is no such message. */
  async update(
    chatId: number,
    id: number,
    change: Partial<Pick<ConsoleMessage, 'text' | 'parseMode' | 'keyboard' | 'deleted'>>,
  ): Promise<ConsoleMessage | null> {
    const current = await this.get(chatId, id)
    if (!current || current.deleted) return null
    const next: ConsoleMessage = { ...current, ...change, edited: change.deleted ? current.edited : true }
    if ('keyboard' in change && change.keyboard === undefined) delete next.keyboard
    await this.redis
      .multi()
      .hset(this.key(chatId, 'messages'), String(id), JSON.stringify(next))
      .hincrby(this.key(chatId, 'meta'), 'rev', '1')
      .exec()
    return next
  }

  async toast(chatId: number, text: string, alert: boolean) {
    const toasts = this.key(chatId, 'toasts')
    await this.redis
      .multi()
      .lpush(toasts, JSON.stringify({ at: Date.now(), text, alert } satisfies ConsoleToast))
      .ltrim(toasts, 0, 4)
      .hincrby(this.key(chatId, 'meta'), 'rev', '1')
      .exec()
    await this.touch(chatId)
  }

  /** The text being streamed (sendMessageDraft); the next real message replaces it. */
  async draft(chatId: number, text: string) {
    await this.redis
      .multi()
      .hset(this.key(chatId, 'meta'), 'draft', text)
      .hincrby(this.key(chatId, 'meta'), 'rev', '1')
      .exec()
  }

  async rev(chatId: number): Promise<number> {
    return Number((await this.redis.hget(this.key(chatId, 'meta'), 'rev')) ?? 0)
  }

  async state(chatId: number): Promise<ConsoleState> {
    const [ids, meta, toasts] = await Promise.all([
      this.redis.zrange(this.key(chatId, 'order'), '0', '-1'),
      this.redis.hgetall(this.key(chatId, 'meta')),
      this.redis.lrange(this.key(chatId, 'toasts'), 0, 4),
    ])
    const raw = ids.length > 0 ? await this.redis.hmget(this.key(chatId, 'messages'), ...ids) : []
    const messages = raw
      .filter((r): r is string => r !== null)
      .map((r) => JSON.parse(r) as ConsoleMessage)
      .filter((m) => !m.deleted)
    return {
      chatId,
      rev: Number(meta.rev ?? 0),
      messages,
      toasts: toasts.map((t) => JSON.parse(t) as ConsoleToast),
      draft: meta.draft ?? null,
    }
  }

  /** Forgets the chat's transcript (the account and its data stay). */
  async clear(chatId: number) {
    const rev = await this.rev(chatId)
    await this.redis.del(
      ...['seq', 'messages', 'order', 'toasts', 'meta'].map((part) => this.key(chatId, part)),
    )
    // Keep rev growing so a browser that polls with an old rev sees the change.
    await this.redis.hset(this.key(chatId, 'meta'), 'rev', String(rev + 1))
  }

  /** A file the tester attached, kept briefly under an unguessable key for the bot to download. */
  async putFile(content: Buffer): Promise<string> {
    const key = randomBytes(16).toString('hex')
    await this.redis.set(`${this.prefix}file:${key}`, content, 'EX', FILE_TTL_SECONDS)
    return key
  }

  async getFile(key: string): Promise<Buffer | null> {
    if (!/^[0-9a-f]{32}$/.test(key)) return null
    return this.redis.getBuffer(`${this.prefix}file:${key}`)
  }

  async nextUpdateId(): Promise<number> {
    return this.redis.incr(`${this.prefix}update_seq`)
  }

  private async trim(chatId: number) {
    const order = this.key(chatId, 'order')
    const count = await this.redis.zcard(order)
    if (count <= KEEP_MESSAGES) return
    const old = await this.redis.zrange(order, '0', String(count - KEEP_MESSAGES - 1))
    await this.redis
      .multi()
      .zrem(order, ...old)
      .hdel(this.key(chatId, 'messages'), ...old)
      .exec()
  }

  private async touch(chatId: number) {
    const pipeline = this.redis.pipeline()
    for (const part of ['seq', 'messages', 'order', 'toasts', 'meta'])
      pipeline.expire(this.key(chatId, part), TTL_SECONDS)
    await pipeline.exec()
  }
}

let shared: ConsoleStore | undefined

/** The process's console store, on its shared Redis connection (the bot, notices, the endpoints). */
export function consoleStore(): ConsoleStore {
  shared ??= new ConsoleStore(redis())
  return shared
}
