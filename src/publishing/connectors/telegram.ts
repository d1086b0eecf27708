import { GrammyError, HttpError, InputFile, type Api } from 'grammy'
import type { Message } from 'grammy/types'

import { env } from '../../lib/env'
import { channelApi } from '../../telegram/client'
import type { Connector, PublishItem } from '../connector'
import { PublishError } from '../connector'
import { escapeHtml } from '../../lib/text'
import { lexicalToTelegramHtml, splitTelegramHtml, visibleLength } from '../../telegram/html'
import { TELEGRAM_TEXT_LIMITS } from '../../telegram/limits'

function api(): Api {
  const api = channelApi({ timeoutSeconds: Math.ceil(env().PUBLISH_HTTP_TIMEOUT_MS / 1000) })
  if (!api) throw new PublishError('retry', 'telegram.no_bot_token', 'TELEGRAM_BOT_TOKEN is not set')
  return api
}

function classify(error: unknown): PublishError {
  if (error instanceof PublishError) return error
  if (error instanceof GrammyError) {
    const d = error.description
    if (error.error_code === 429) return new PublishError('retry', 'telegram.rate_limited', d, (error.parameters.retry_after ?? 5) * 1000)
    if (error.error_code >= 500) return new PublishError('retry', 'telegram.unavailable', d)
    if (error.error_code === 401) return new PublishError('retry', 'telegram.bot_token', d)
    if (error.error_code === 403 || /chat not found|not enough rights|CHAT_WRITE_FORBIDDEN|have no rights/i.test(d)) {
      return new PublishError('disconnected', 'telegram.no_rights', d)
    }
    return new PublishError('bad_request', 'telegram.rejected', d)
  }
  if (error instanceof HttpError) return new PublishError('unconfirmed', 'telegram.no_answer', error.message)
  return new PublishError('unconfirmed', 'telegram.no_answer', error instanceof Error ? error.message : String(error))
}

/** The post as Telegram HTML: an article's title in bold over its excerpt or its formatted body. */
function body(item: PublishItem): string {
  const rich = item.kind === 'article' && !item.excerpt ? lexicalToTelegramHtml(item.richText) : ''
  const own = rich || escapeHtml(item.text)
  const text = item.kind === 'article' ? `<b>${escapeHtml(item.title)}</b>\n\n${own}` : own
  return item.link ? `${text}\n\n${escapeHtml(item.link)}` : text
}

function captionOf(html: string): { caption?: string; parse_mode?: 'HTML' } {
  return visibleLength(html) <= TELEGRAM_TEXT_LIMITS.caption ? { caption: html, parse_mode: 'HTML' } : {}
}

/**
 * A channel post's address: t.me/<username>/<id> for a public channel (Telegram names the
 * channel's username in the sent message, whichever id we sent to), t.me/c/<id>/<id> for a
 * private one (opens for its members only).
 */
function postUrl(sent: Pick<Message, 'chat' | 'message_id'>): string | null {
  const username = 'username' in sent.chat ? sent.chat.username : undefined
  if (username) return `https://t.me/${username}/${sent.message_id}`
  const internal = /^-100(\d+)$/.exec(String(sent.chat.id))?.[1]
  return internal ? `https://t.me/c/${internal}/${sent.message_id}` : null
}

/**
 * A channel post through the Bot API: text (split at paragraphs past 4,096 characters), a photo
 * with its caption, or an album of 2-10 photos; the first message is the remote id.
 */
export const telegramConnector: Connector<'telegram'> = {
  platform: 'telegram',
  validate(item) {
    const problems: string[] = []
    if (!item.text.trim() && item.images.length === 0) problems.push('telegram.empty')
    if (item.images.length > 10) problems.push('telegram.too_many_images')
    return problems
  },
  async publish(item, { chatId }) {
    const bot = api()
    const html = body(item)
    // Once the first message is out, the post exists: a failing follow-up part is reported as a
    // warning, never retried (a retry would post the first part twice).
    const sendRest = async (parts: string[]) => {
      const warnings: string[] = []
      for (const part of parts) {
        try {
          await bot.sendMessage(chatId, part, { parse_mode: 'HTML' })
        } catch (error) {
          warnings.push(`telegram.part_failed: ${classify(error).detail}`)
          break
        }
      }
      return warnings
    }
    let first: Pick<Message, 'chat' | 'message_id'>
    try {
      if (item.images.length === 0) {
        const [first, ...more] = splitTelegramHtml(html)
        const sent = await bot.sendMessage(chatId, first, { parse_mode: 'HTML' })
        const warnings = await sendRest(more)
        return { remoteId: String(sent.message_id), remoteUrl: postUrl(sent), warnings }
      }
      if (item.images.length === 1) {
        first = await bot.sendPhoto(chatId, new InputFile(item.images[0].path), captionOf(html))
      } else {
        const media = item.images.map((image, i) => ({
          type: 'photo' as const,
          media: new InputFile(image.path),
          ...(i === 0 ? captionOf(html) : {}),
        }))
        first = (await bot.sendMediaGroup(chatId, media))[0]
      }
    } catch (error) {
      throw classify(error)
    }
    const warnings = visibleLength(html) > TELEGRAM_TEXT_LIMITS.caption ? await sendRest(splitTelegramHtml(html)) : []
    return { remoteId: String(first.message_id), remoteUrl: postUrl(first), warnings }
  },
}
