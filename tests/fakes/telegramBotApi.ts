import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

import { BadRequest, fakeStars } from './telegramPayments'

/**
 * A Telegram Bot API for tests on 127.0.0.1 (random port). It answers /bot<token>/<method> with
 * Telegram's response shapes ({ ok: true, result } or { ok: false, error_code, description,
 * parameters: { retry_after } }), records every call with its parsed params (JSON, form-urlencoded
 * or multipart), serves files at /file/bot<token>/<path>, and fails a method on demand.
 */
export type RecordedCall = {
  method: string
  params: Record<string, any>
  /** Multipart file parts: field name, file name and content. */
  files: Array<{ field: string; name: string; content: Buffer }>
  /** When the call arrived (ms since the epoch): pacing tests measure the gaps. */
  at?: number
}

/** How the next call of a method fails: Telegram's error answer, or no answer at all ('hang'). */
type Failure = { status: 400 | 403 | 429 | 500; description: string; retryAfter?: number } | 'hang'
type StoredFile = { path: string; content: Buffer }
/** A group or channel the fake knows, and what the bot is in it (getChat / getChatMember). */
type KnownChat = {
  chat: { id: number; type: 'channel' | 'supergroup' | 'group'; title: string; username?: string }
  member: { status: string; [right: string]: unknown }
}

export const FAKE_BOT = {
  id: 7_000_000_001,
  is_bot: true as const,
  first_name: 'Postforge Test',
  username: 'postforge_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function parseValue(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value)
    } catch {
      return value
    }
  }
  return value
}

async function parseParams(
  req: IncomingMessage,
  raw: Buffer,
): Promise<Pick<RecordedCall, 'params' | 'files'>> {
  const type = req.headers['content-type'] ?? ''
  const params: Record<string, unknown> = {}
  const files: RecordedCall['files'] = []
  if (raw.length === 0) return { params, files }
  if (type.includes('application/json')) return { params: JSON.parse(raw.toString('utf8')), files }
  if (type.includes('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8')))
      params[key] = parseValue(value)
    return { params, files }
  }
  const form = await new Request('http://fake.local', {
    method: 'POST',
    headers: { 'content-type': type },
    body: new Uint8Array(raw),
  }).formData()
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') params[key] = parseValue(value)
    else
      files.push({ field: key, name: value.name, content: Buffer.from(await value.arrayBuffer()) })
  }
  return { params, files }
}

/** Tags Telegram's HTML parse mode knows (https://core.telegram.org/bots/api#html-style). */
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji'])
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' }

/**
 * Telegram's HTML parse mode as the server applies it: the text a reader sees, or the error Telegram
 * answers ("can't parse entities: ...") for an unknown tag, an end tag that closes nothing open, a
 * tag left open or a `<` that starts no tag. An `&` that starts no known entity stays literal.
 */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const fail = (what: string, at: number) => ({ error: `Bad Request: can't parse entities: ${what} at byte offset ${Buffer.byteLength(html.slice(0, at))}` })
  const open: string[] = []
  let text = ''
  let i = 0
  while (i < html.length) {
    const char = html[i]
    if (char === '<') {
      const end = html.indexOf('>', i)
      if (end < 0) return fail('Unclosed start tag', i)
      const tag = /^<(\/?)([a-z][a-z0-9-]*)(\s[^>]*)?>$/i.exec(html.slice(i, end + 1))
      if (!tag) return fail('Unsupported start tag', i)
      const name = tag[2].toLowerCase()
      if (!HTML_TAGS.has(name)) return fail(`Unsupported start tag "${name}"`, i)
      if (tag[1]) {
        if (open.at(-1) !== name) return fail(`Unexpected end tag`, i)
        open.pop()
      } else {
        if (name === 'a' && !/\shref\s*=\s*"[^"]*"/i.test(tag[3] ?? '')) return fail('Expected href attribute in tag "a"', i)
        open.push(name)
      }
      i = end + 1
      continue
    }
    if (char === '>') return fail('Unexpected end of name token', i)
    if (char === '&') {
      const entity = /^&(?:#(\d+)|#x([0-9a-f]+)|([a-z]+));/i.exec(html.slice(i, i + 12))
      const named = entity?.[3] !== undefined ? NAMED_ENTITIES[entity[3]] : undefined
      if (entity && (named !== undefined || entity[1] || entity[2])) {
        text += named ?? String.fromCodePoint(entity[1] ? Number(entity[1]) : parseInt(entity[2], 16))
        i += entity[0].length
        continue
      }
    }
    text += char
    i += 1
  }
  if (open.length > 0) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${open.at(-1)}"` }
  return { text }
}

/**
 * What Telegram refuses in a text or caption before sending it: malformed HTML, an empty text, a
 * text over 4,096 or a caption over 1,024 characters after entity parsing. Null when it passes.
 */
function refusedText(method: string, params: Record<string, any>): string | null {
  const check = (value: unknown, parseMode: unknown, caption: boolean): string | null => {
    if (value === undefined || value === null) return caption ? null : 'Bad Request: message text is empty'
    const parsed = parseMode === 'HTML' ? parseTelegramHtml(String(value)) : { text: String(value) }
    if ('error' in parsed) return parsed.error
    if (!caption && parsed.text.trim() === '') return 'Bad Request: message text is empty'
    if (caption && parsed.text.length > 1024) return 'Bad Request: message caption is too long'
    if (!caption && parsed.text.length > 4096) return 'Bad Request: message is too long'
    return null
  }
  if (['sendMessage', 'editMessageText', 'sendMessageDraft'].includes(method)) return check(params.text, params.parse_mode, false)
  if (['sendPhoto', 'sendDocument', 'sendVideo', 'editMessageCaption'].includes(method)) return check(params.caption, params.parse_mode, true)
  if (method === 'sendMediaGroup' && Array.isArray(params.media)) {
    for (const item of params.media as Array<Record<string, unknown>>) {
      const problem = check(item.caption, item.parse_mode, true)
      if (problem) return problem
    }
  }
  return null
}

export async function startFakeTelegram() {
  const calls: RecordedCall[] = []
  const failures = new Map<string, Failure[]>()
  const files = new Map<string, StoredFile>()
  const sockets = new Set<Socket>()
  const chats = new Map<string, KnownChat>()
  const blockedChats = new Set<string>()
  let messageId = 100
  // Payments (Telegram Stars): invoices, pre-checkout, charges, refunds, subscriptions.
  const stars = fakeStars()

  const chatOf = (chatId: unknown) => {
    const known = chats.get(String(chatId))?.chat
    if (known) return known
    const channel = typeof chatId === 'string' && chatId.startsWith('@')
    if (channel || Number(chatId) < 0) {
      return { id: channel ? -1001234567890 : Number(chatId), type: 'channel', title: 'Test channel', ...(channel ? { username: chatId.slice(1) } : {}) }
    }
    return { id: Number(chatId), type: 'private', first_name: 'User' }
  }
  const message = (params: Record<string, any>, extra: Record<string, unknown> = {}) => ({
    message_id: ++messageId,
    date: Math.floor(Date.now() / 1000),
    chat: chatOf(params.chat_id),
    from: FAKE_BOT,
    ...extra,
  })

  function result(
    method: string,
    params: Record<string, any>,
    uploaded: RecordedCall['files'],
  ): unknown {
    switch (method) {
      case 'getMe':
        return FAKE_BOT
      case 'sendMessage':
        return message(params, { text: params.text })
      case 'editMessageText':
        return { ...message(params, { text: params.text }), message_id: Number(params.message_id) }
      case 'sendPhoto':
        return message(params, { photo: [{ file_id: `p-${messageId}`, file_unique_id: `u-${messageId}`, width: 1, height: 1 }], caption: params.caption })
      case 'sendMediaGroup':
        return (params.media as unknown[]).map(() => message(params, { photo: [] }))
      case 'sendDocument':
        return message(params, {
          document: {
            file_id: `doc-${messageId}`,
            file_unique_id: `u-${messageId}`,
            file_name: uploaded[0]?.name,
          },
          caption: params.caption,
        })
      case 'getFile': {
        const file = files.get(String(params.file_id))
        return file
          ? {
              file_id: params.file_id,
              file_unique_id: `u-${params.file_id}`,
              file_size: file.content.length,
              file_path: file.path,
            }
          : undefined
      }
      case 'getChat':
        return chats.get(String(params.chat_id))?.chat
      case 'getChatMember': {
        const known = chats.get(String(params.chat_id))
        return known ? { user: FAKE_BOT, ...known.member } : undefined
      }
      case 'getUpdates':
        return []
      case 'getWebhookInfo':
        return { url: '', has_custom_certificate: false, pending_update_count: 0 }
      default:
        return true
    }
  }

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const url = req.url ?? ''
    const fileMatch = url.match(/^\/file\/bot[^/]+\/(.+)$/)
    if (fileMatch) {
      const file = [...files.values()].find((f) => f.path === decodeURIComponent(fileMatch[1]))
      if (!file) return send(404, { ok: false, error_code: 404, description: 'Not Found' })
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' })
      return res.end(file.content)
    }
    const methodMatch = url.match(/^\/bot[^/]+\/(\w+)/)
    if (!methodMatch) return send(404, { ok: false, error_code: 404, description: 'Not Found' })
    const method = methodMatch[1]
    const { params, files: uploaded } = await parseParams(req, await readBody(req))
    calls.push({ method, params, files: uploaded, at: Date.now() })
    // A user who blocked the bot: every message to their chat is refused as Telegram does (O8).
    if (/^send/.test(method) && blockedChats.has(String(params.chat_id))) {
      return send(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' })
    }
    const failure = failures.get(method)?.shift()
    if (failure === 'hang') return
    if (failure) {
      return send(failure.status, {
        ok: false,
        error_code: failure.status,
        description: failure.description,
        ...(failure.retryAfter !== undefined
          ? { parameters: { retry_after: failure.retryAfter } }
          : {}),
      })
    }
    const refused = refusedText(method, params)
    if (refused) return send(400, { ok: false, error_code: 400, description: refused })
    if (['getChat', 'getChatMember'].includes(method) && !chats.has(String(params.chat_id)))
      return send(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' })
    try {
      const paid = stars.handle(method, params, () => message(params))
      if (paid !== undefined) return send(200, { ok: true, result: paid })
    } catch (error) {
      if (error instanceof BadRequest) return send(400, { ok: false, error_code: 400, description: error.message })
      throw error
    }
    const value = result(method, params, uploaded)
    if (value === undefined)
      return send(400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' })
    send(200, { ok: true, result: value })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    /** Telegram Stars: the invoices made, pre-checkout and payment updates to deliver, charges, refunds. */
    stars,
    /** Calls of one method, optionally only those to one chat. */
    callsTo(method: string, chatId?: number) {
      return calls.filter(
        (c) => c.method === method && (chatId === undefined || Number(c.params.chat_id) === chatId),
      )
    },
    /** The texts the bot showed a chat (sent or edited), in order. */
    textsTo(chatId: number) {
      return calls
        .filter(
          (c) =>
            ['sendMessage', 'editMessageText'].includes(c.method) &&
            Number(c.params.chat_id) === chatId,
        )
        .map((c) => String(c.params.text))
    },
    clear() {
      calls.length = 0
    },
    /** The next call(s) of `method` fail like Telegram does: 429 with retry_after, 400, 403. */
    fail(method: string, failure: Failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure])
    },
    /** The user of this private chat blocked the bot: sends answer 403 "Forbidden: bot was blocked by the user". */
    blockChat(chatId: number) {
      blockedChats.add(String(chatId))
    },
    /** Makes a channel known by its id and @username, with the bot's membership in it. */
    addChat(chat: KnownChat['chat'], member: KnownChat['member']) {
      const known = { chat, member }
      chats.set(String(chat.id), known)
      if (chat.username) chats.set(`@${chat.username}`, known)
    },
    addFile(fileId: string, content: string | Buffer, path = `documents/${fileId}`) {
      files.set(fileId, {
        path,
        content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>
