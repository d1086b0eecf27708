import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { t } from '../i18n'
import { env } from '../lib/env'
import { escapeHtml, truncate } from '../lib/text'
import { noticeKeyboard, type NoticeButton } from '../notify/telegram'
import { chatApi } from '../telegram/client'
import { lexicalToTelegramHtml, splitTelegramHtml, splitTelegramText } from '../telegram/html'
import { TELEGRAM_TEXT_LIMITS } from '../telegram/limits'
import { markdownToLexical } from './lexical'

const HTML = { parse_mode: 'HTML' as const, link_preview_options: { is_disabled: true } }

/** A section being written (the model's Markdown) as Telegram HTML under its title in bold. */
export function sectionHtml(title: string, markdown: string): string {
  const body = lexicalToTelegramHtml(markdownToLexical(markdown))
  return `<b>${escapeHtml(title.trim())}</b>${body ? `\n\n${body}` : ''}`
}

/**
 * What a job tells the customer while it works: one status message edited stage by stage, and
 * streamed drafts (Bot API sendMessageDraft) finished by real messages. Best effort: a chat that
 * cannot be reached never fails the job. Goes through `chatApi()` only.
 */
export class ChatProgress {
  private statusMessageId: number | undefined
  private draftSeq = 0

  private constructor(
    private readonly chatId: number | null,
    readonly language: string,
    private readonly log: Logger,
  ) {}

  static async open(payload: Payload, accountId: number, log: Logger): Promise<ChatProgress> {
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, disableErrors: true })
    const reachable = account && account.status !== 'blocked'
    return new ChatProgress(reachable ? account.telegramId : null, account?.language ?? 'ru', log)
  }

  text(key: string, params: Record<string, string | number> = {}): string {
    return t(this.language, key, params)
  }

  private async call(what: string, fn: (api: ReturnType<typeof chatApi>, chatId: number) => Promise<unknown>) {
    if (this.chatId === null) return undefined
    try {
      return await fn(chatApi(), this.chatId)
    } catch (error) {
      this.log.warn({ what, err: (error as Error).message }, 'chat progress not delivered')
      return undefined
    }
  }

  /** The status line: sent once, then edited in place (one line of progress, cut if ever that long). */
  async status(key: string, params: Record<string, string | number> = {}) {
    const text = truncate(this.text(key, params), TELEGRAM_TEXT_LIMITS.message)
    if (this.statusMessageId === undefined) {
      const sent = (await this.call('status', (api, chat) => api.sendMessage(chat, text))) as { message_id?: number } | undefined
      this.statusMessageId = sent?.message_id
      return
    }
    const id = this.statusMessageId
    await this.call('status-edit', (api, chat) => api.editMessageText(chat, id, text))
  }

  /**
   * A new message (the final summary, a failure), with buttons that open the result in the bot.
   * A text past Telegram's limit goes out whole in several messages, the buttons under the last.
   */
  async say(key: string, params: Record<string, string | number> = {}, buttons: NoticeButton[] = []) {
    await this.sendHtml('say', splitTelegramText(this.text(key, params)), buttons)
  }

  /** A message already in the customer's language (e.g. an AppError's message). */
  async sayText(text: string) {
    await this.sendHtml('say', splitTelegramText(text))
  }

  private async sendHtml(what: string, parts: string[], buttons: NoticeButton[] = []) {
    const reply_markup = noticeKeyboard(this.language, buttons)
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1
      await this.call(what, (api, chat) => api.sendMessage(chat, part, { ...HTML, ...(last ? { reply_markup } : {}) }))
    }
  }

  /**
   * A live draft of Markdown being written, shown formatted under `title` in bold; `finish`
   * replaces it with real messages (several when the text is longer than one message).
   */
  draft(title: string): DraftStream {
    this.draftSeq += 1
    const draftId = ((Date.now() % 1_000_000) * 100 + this.draftSeq) % 2_147_483_647 || 1
    return new DraftStream(this, draftId, title)
  }

  /** @internal The draft shows the part being written: the last message's worth. */
  async sendDraft(draftId: number, html: string) {
    const part = splitTelegramHtml(html).at(-1)
    if (part) await this.call('draft', (api, chat) => api.sendMessageDraft(chat, draftId, part, { parse_mode: 'HTML' }))
  }

  /** @internal */
  async sendFinal(html: string) {
    await this.sendHtml('final', splitTelegramHtml(html))
  }
}

export class DraftStream {
  private lastSent = 0
  private pending: Promise<void> = Promise.resolve()
  private latest = ''

  constructor(
    private readonly chat: ChatProgress,
    private readonly draftId: number,
    private readonly title: string,
  ) {}

  /** Called with the text so far; sends at most one update per AI_DRAFT_INTERVAL_MS. */
  update(text: string) {
    this.latest = text
    const now = Date.now()
    if (now - this.lastSent < env().AI_DRAFT_INTERVAL_MS) return
    this.lastSent = now
    this.pending = this.pending.then(() => this.chat.sendDraft(this.draftId, sectionHtml(this.title, this.latest)))
  }

  async finish(text: string) {
    await this.pending
    await this.chat.sendFinal(sectionHtml(this.title, text))
  }
}
