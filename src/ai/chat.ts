import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { t } from '../i18n'
import { env } from '../lib/env'
import { noticeKeyboard, type NoticeButton } from '../notify/telegram'
import { chatApi } from '../telegram/client'

const LIMIT = 4096

function clip(text: string): string {
  return text.length <= LIMIT ? text : `${text.slice(0, LIMIT - 1)}…`
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

  /** The status line: sent once, then edited in place. */
  async status(key: string, params: Record<string, string | number> = {}) {
    const text = clip(this.text(key, params))
    if (this.statusMessageId === undefined) {
      const sent = (await this.call('status', (api, chat) => api.sendMessage(chat, text))) as { message_id?: number } | undefined
      this.statusMessageId = sent?.message_id
      return
    }
    const id = this.statusMessageId
    await this.call('status-edit', (api, chat) => api.editMessageText(chat, id, text))
  }

  /** A new message (the final summary, a failure), with buttons that open the result in the bot. */
  async say(key: string, params: Record<string, string | number> = {}, buttons: NoticeButton[] = []) {
    const text = clip(this.text(key, params))
    const reply_markup = noticeKeyboard(this.language, buttons)
    await this.call('say', (api, chat) => api.sendMessage(chat, text, { link_preview_options: { is_disabled: true }, reply_markup }))
  }

  /** A message already in the customer's language (e.g. an AppError's message). */
  async sayText(text: string) {
    await this.call('say', (api, chat) => api.sendMessage(chat, clip(text), { link_preview_options: { is_disabled: true } }))
  }

  /** A live draft of text being written; `finish` replaces it with a real message. */
  draft(prefix: string): DraftStream {
    this.draftSeq += 1
    const draftId = ((Date.now() % 1_000_000) * 100 + this.draftSeq) % 2_147_483_647 || 1
    return new DraftStream(this, draftId, prefix)
  }

  /** @internal */
  async sendDraft(draftId: number, text: string) {
    await this.call('draft', (api, chat) => api.sendMessageDraft(chat, draftId, clip(text)))
  }

  /** @internal */
  async sendFinal(text: string) {
    await this.call('final', (api, chat) => api.sendMessage(chat, clip(text), { link_preview_options: { is_disabled: true } }))
  }
}

export class DraftStream {
  private lastSent = 0
  private pending: Promise<void> = Promise.resolve()
  private latest = ''

  constructor(
    private readonly chat: ChatProgress,
    private readonly draftId: number,
    private readonly prefix: string,
  ) {}

  /** Called with the text so far; sends at most one update per AI_DRAFT_INTERVAL_MS. */
  update(text: string) {
    this.latest = text
    const now = Date.now()
    if (now - this.lastSent < env().AI_DRAFT_INTERVAL_MS) return
    this.lastSent = now
    this.pending = this.pending.then(() => this.chat.sendDraft(this.draftId, `${this.prefix}${this.latest}`))
  }

  async finish(text: string) {
    await this.pending
    await this.chat.sendFinal(`${this.prefix}${text}`)
  }
}
