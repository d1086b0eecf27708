import { InputFile } from 'grammy'

import { t } from '../../i18n'
import { exportAccountData } from '../../privacy/export'
import { chatApi } from '../../telegram/client'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/** Telegram's limit for a document a bot sends. */
const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

/**
 * `privacy.export`: everything the account owns as one JSON file (src/privacy/export.ts), sent
 * to the customer's chat as a document. An account gone (deleted meanwhile) or blocked gets nothing.
 */
export const privacyExportTask = defineTask('privacy.export', JOBS['privacy.export'].payload, async ({ accountId }, { payload, log }) => {
  const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true, disableErrors: true })
  if (!account || account.status === 'blocked' || account.deletedAt) {
    log.info({ accountId }, 'export not sent: account blocked or gone')
    return
  }
  const archive = await exportAccountData(payload, account)
  const bytes = Buffer.from(JSON.stringify(archive, null, 2), 'utf8')
  const day = archive.exportedAt.slice(0, 10)
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    log.error({ accountId, bytes: bytes.length }, 'export larger than Telegram takes')
    await chatApi().sendMessage(account.telegramId, t(account.language, 'privacy.export_too_big'))
    return
  }
  await chatApi().sendDocument(account.telegramId, new InputFile(bytes, `postforge-data-${day}.json`), {
    caption: t(account.language, 'privacy.export_caption'),
  })
  log.info({ accountId, bytes: bytes.length, collections: Object.keys(archive.data).length }, 'data export sent')
})
