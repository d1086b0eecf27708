import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { t } from '../i18n'
import { env } from '../lib/env'
import { databaseScope, redis } from '../lib/redis'
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

/** How long a job's status message is remembered between its attempts. */
const PROGRESS_TTL_S = 7 * 24 * 3600

const progressKey = (jobKey: string) => `pf:${databaseScope()}:progress:${jobKey}`

/** Telegram's answer to an edit that changes nothing: the message is there, as wanted. */
const unchanged = (error: unknown) => /message is not modified/i.test((error as Error)?.message ?? '')
/** Telegram's answers for a message that is gone or can no longer be edited. */
const gone = (error: unknown) => /message to edit not found|message can't be edited|message_id_invalid/i.test((error as Error)?.message ?? '')

/**
 * The job is over (done, or failed for good): its next run under the same key (a new order,
 * "Try again") starts a status message of its own at the bottom of the chat.
 */
export async function forgetProgress(jobKey: string, log: Logger) {
  await redis()
    .del(progressKey(jobKey))
    .catch((error: Error) => log.warn({ err: error.message }, 'progress message not forgotten'))
}

/**
 * What a job tells the customer while it works: one status message edited stage by stage, and
 * streamed drafts (Bot API sendMessageDraft) finished by real messages. Best effort: a chat that
 * cannot be reached never fails the job. Goes through `chatApi()` only.
 *
 * Opened with the job's key, the status message is one per job, not per attempt: its id is kept
 * in Redis and the next attempt edits it (a new one only when it is gone).
 */
export class ChatProgress {
  private statusMessageId: number | undefined
  private draftSeq = 0

  private constructor(
    private readonly chatId: number | null,
    readonly language: string,
    private readonly log: Logger,
    private readonly jobKey?: string,
  ) {}

  static async open(payload: Payload, accountId: number, log: Logger, jobKey?: string): Promise<ChatProgress> {
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, disableErrors: true })
    const reachable = account && account.status !== 'blocked'
    return new ChatProgress(reachable ? account.telegramId : null, account?.language ?? 'ru', log, jobKey)
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

  /**
   * The status line: sent once per job, then edited in place, by later attempts too (one line of
   * progress, cut if ever that long). An edit that fails because the message is gone (deleted by
   * the customer, too old to edit) sends one new message instead.
   */
  async status(key: string, params: Record<string, string | number> = {}) {
    const text = truncate(this.text(key, params), TELEGRAM_TEXT_LIMITS.message)
    if (this.chatId === null) return
    this.statusMessageId ??= await this.storedStatus()
    const id = this.statusMessageId
    if (id !== undefined) {
      const edited = await this.call('status-edit', async (api, chat) => {
        try {
          return await api.editMessageText(chat, id, text)
        } catch (error) {
          if (unchanged(error)) return true
          if (!gone(error)) throw error
          this.log.info({ err: (error as Error).message }, 'status message gone, sending a new one')
          return 'gone'
        }
      })
      // Sent again only when the message is gone; any other failure costs one stage's update.
      if (edited !== 'gone') return
    }
    const sent = (await this.call('status', (api, chat) => api.sendMessage(chat, text))) as { message_id?: number } | undefined
    this.statusMessageId = sent?.message_id
    if (this.jobKey && sent?.message_id !== undefined) {
      await redis()
        .set(progressKey(this.jobKey), String(sent.message_id), 'EX', PROGRESS_TTL_S)
        .catch((error: Error) => this.log.warn({ err: error.message }, 'status message id not kept'))
    }
  }

  /**
   * Something was said below the status message (the job paused for a restart): the next status
   * goes out as a new message at the bottom of the chat, where the customer is reading, and the
   * attempts after it edit that one.
   */
  async detach() {
    this.statusMessageId = undefined
    if (this.jobKey) await forgetProgress(this.jobKey, this.log)
  }

  /** The status message an earlier attempt of this job sent, if any. */
  private async storedStatus(): Promise<number | undefined> {
    if (!this.jobKey) return undefined
    try {
      const id = Number(await redis().get(progressKey(this.jobKey)))
      return Number.isInteger(id) && id > 0 ? id : undefined
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'status message id not read')
      return undefined
    }
  }

  /**
   * A new message (the final summary, a failure), with buttons that open the result in the bot.
   * A text past Telegram's limit goes out whole in several messages, the buttons under the last.
   */
  async say(key: string, params: Record<string, string | number> = {}, buttons: NoticeButton[] = []) {
    await this.sendHtml('say', splitTelegramText(this.text(key, params)), buttons)
  }

  /** A message already in the customer's language (e.g. an AppError's message). */
  async sayText(text: string, buttons: NoticeButton[] = []) {
    await this.sendHtml('say', splitTelegramText(text), buttons)
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
