import type { Transformer } from 'grammy'
import { InputFile } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'

import { type ConsoleButton, type ConsoleStore, isConsoleChat } from './store'

/** Who the bot is when no Telegram token is configured (the console still works). */
export const CONSOLE_BOT_INFO: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: 'Postforge',
  username: 'postforge_console_bot',
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

type Payload = Record<string, unknown>
type Response = { ok: true; result: unknown } | { ok: false; error_code: number; description: string }

const ok = (result: unknown): Response => ({ ok: true, result })
const refuse = (description: string, error_code = 400): Response => ({
  ok: false,
  error_code,
  description,
})

function keyboardOf(markup: unknown): ConsoleButton[][] | undefined {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard
  if (!Array.isArray(rows)) return undefined
  return rows.map((row: Array<Record<string, unknown>>) =>
    row.map((button) => ({
      text: String(button.text ?? ''),
      ...(typeof button.callback_data === 'string' ? { callbackData: button.callback_data } : {}),
      ...(typeof button.url === 'string' ? { url: button.url } : {}),
    })),
  )
}

async function sizeOf(file: unknown): Promise<{ name: string; bytes: number }> {
  if (!(file instanceof InputFile)) return { name: String(file ?? 'file'), bytes: 0 }
  const raw = await file.toRaw()
  let bytes = 0
  if (raw instanceof Uint8Array) bytes = raw.byteLength
  else for await (const chunk of raw as AsyncIterable<Uint8Array>) bytes += chunk.byteLength
  return { name: file.filename ?? 'file', bytes }
}

/** The chat id a callback query id was minted for (`console:<chat>:<n>`). */
function chatOfCallback(id: unknown): number | null {
  const match = typeof id === 'string' ? /^console:(\d+):\d+$/.exec(id) : null
  return match ? Number(match[1]) : null
}

/**
 * A grammY API transformer: calls aimed at a console chat are answered from the console store
 * with Telegram's own result shapes; everything else goes to Telegram when a token is
 * configured, and is refused with a clear description when it is not.
 */
export function consoleTransport(
  store: ConsoleStore,
  { telegram, botInfo }: { telegram: boolean; botInfo: UserFromGetMe },
): Transformer {
  return async (prev, method, payload, signal) => {
    const params = (payload ?? {}) as Payload
    const chatId = Number(params.chat_id)
    const callbackChat = method === 'answerCallbackQuery' ? chatOfCallback(params.callback_query_id) : null
    if (callbackChat !== null) {
      if (typeof params.text === 'string' && params.text)
        await store.toast(callbackChat, params.text, params.show_alert === true)
      return ok(true) as never
    }
    if (isConsoleChat(params.chat_id)) return (await answer(store, botInfo, method, chatId, params)) as never
    if (method === 'getFile' && typeof params.file_id === 'string' && params.file_id.startsWith('console-')) {
      const key = params.file_id.slice('console-'.length)
      const content = await store.getFile(key)
      if (!content) return refuse('Bad Request: file is temporarily unavailable') as never
      return ok({ file_id: params.file_id, file_unique_id: key, file_size: content.length, file_path: `console/${key}` }) as never
    }
    if (telegram) return prev(method, payload, signal)
    if (method === 'getMe') return ok(botInfo) as never
    return refuse(
      `Bad Request: ${method} needs Telegram, and TELEGRAM_BOT_TOKEN is not set (bot console only)`,
    ) as never
  }
}

async function answer(
  store: ConsoleStore,
  botInfo: UserFromGetMe,
  method: string,
  chatId: number,
  params: Payload,
): Promise<Response> {
  const chat = { id: chatId, type: 'private' as const, first_name: 'Console' }
  const asMessage = (m: { id: number; date: number; text: string }, extra: Payload = {}) => ({
    message_id: m.id,
    date: m.date,
    chat,
    from: botInfo,
    ...extra,
    ...(m.text ? { text: m.text } : {}),
  })
  const parseMode = params.parse_mode === 'HTML' ? ('HTML' as const) : undefined
  switch (method) {
    case 'sendMessage': {
      const m = await store.append(chatId, {
        from: 'bot',
        text: String(params.text ?? ''),
        parseMode,
        keyboard: keyboardOf(params.reply_markup),
      })
      return ok(asMessage(m))
    }
    case 'sendDocument':
    case 'sendPhoto': {
      const file = await sizeOf(method === 'sendPhoto' ? params.photo : params.document)
      const m = await store.append(chatId, {
        from: 'bot',
        text: String(params.caption ?? ''),
        parseMode,
        keyboard: keyboardOf(params.reply_markup),
        attachment: { kind: method === 'sendPhoto' ? 'photo' : 'document', ...file },
      })
      return ok(asMessage(m))
    }
    case 'editMessageText':
    case 'editMessageCaption':
    case 'editMessageReplyMarkup': {
      const id = Number(params.message_id)
      const current = await store.get(chatId, id)
      if (!current || current.deleted) return refuse('Bad Request: message to edit not found')
      const text = method === 'editMessageReplyMarkup' ? current.text : String(params.text ?? params.caption ?? '')
      const keyboard = keyboardOf(params.reply_markup)
      if (text === current.text && JSON.stringify(keyboard) === JSON.stringify(current.keyboard))
        return refuse('Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message')
      const m = await store.update(chatId, id, {
        text,
        parseMode: method === 'editMessageReplyMarkup' ? current.parseMode : parseMode,
        keyboard,
      })
      return ok(asMessage(m!, { edit_date: Math.floor(Date.now() / 1000) }))
    }
    case 'deleteMessage': {
      const m = await store.update(chatId, Number(params.message_id), { deleted: true })
      return m ? ok(true) : refuse('Bad Request: message to delete not found')
    }
    case 'deleteMessages': {
      for (const id of (params.message_ids as number[]) ?? []) await store.update(chatId, id, { deleted: true })
      return ok(true)
    }
    case 'sendMessageDraft':
      await store.draft(chatId, String(params.text ?? ''))
      return ok(true)
    case 'sendChatAction':
    case 'setMessageReaction':
      return ok(true)
    default:
      return refuse(`Bad Request: ${method} is not available in the bot console`)
  }
}
