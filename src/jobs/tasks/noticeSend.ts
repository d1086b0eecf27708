import { GrammyError } from 'grammy'

import { renderNotice } from '../../bot/notices'
import { env } from '../../lib/env'
import { databaseScope, redis } from '../../lib/redis'
import { chatApi } from '../../telegram/client'
import { markReplyDelivered, markReplyUndeliverable } from '../../support/messages'
import { JOBS, PermanentJobError } from '../contracts'
import { defineTask } from '../task'

/** How long a delivered notice's job is remembered (longer than any retry or crash recovery). */
const SENT_FOR_S = 7 * 86_400

/**
 * `notice.send`: a notice queued with the write it tells about, rendered in the customer's
 * language and sent. A blocked (or deleted) account gets nothing; a send that fails is retried by
 * the queue; one Telegram refuses for good (the customer blocked the bot, the chat is gone) is
 * not. A delivered notice is remembered by its job, so a job run again after a crash between
 * the send and its completion does not send it twice.
 */
export const noticeSendTask = defineTask('notice.send', JOBS['notice.send'].payload, async (notice, { payload, helpers, log }) => {
  const account = await payload.findByID({ collection: 'accounts', id: notice.accountId, depth: 0, overrideAccess: true, disableErrors: true })
  if (!account || account.status === 'blocked') {
    log.info({ accountId: notice.accountId, event: notice.event }, 'notice not sent: account blocked or gone')
    return
  }
  const sent = `pf:${databaseScope()}:notice:${env().GRAPHILE_WORKER_SCHEMA}:${helpers.job.id}`
  if (await redis().exists(sent)) return
  const { text, replyMarkup } = renderNotice(notice, account.language)
  try {
    await chatApi().sendMessage(account.telegramId, text, { link_preview_options: { is_disabled: true }, reply_markup: replyMarkup })
  } catch (error) {
    if (error instanceof GrammyError && (error.error_code === 403 || (error.error_code === 400 && /chat not found/i.test(error.description)))) {
      if (notice.event === 'support.reply') await markReplyUndeliverable(payload, notice.data.messageId, error.description)
      throw new PermanentJobError(`notice ${notice.event} not deliverable: ${error.description}`)
    }
    throw error
  }
  await redis().set(sent, '1', 'EX', SENT_FOR_S)
  // A support reply is stamped delivered, so staff see it reached the customer (O8).
  if (notice.event === 'support.reply') await markReplyDelivered(payload, notice.data.messageId)
  log.info({ accountId: notice.accountId, event: notice.event }, 'notice sent')
})
