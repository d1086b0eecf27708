import type { InlineKeyboardMarkup } from 'grammy/types'

import { t } from '../i18n'
import type { Notice } from '../notify/events'

import { idOf } from '../lib/ids'
import type { Publication } from '../payload-types'
import { opens } from '../notify/targets'

/** A button that opens something in the bot (its callback data) or a page (a URL, e.g. the post). */
export type Button = { key: string; data: string } | { key: string; url: string }

const openContent = opens.content

/**
 * What the customer can do about an unconfirmed publication: say it is out ("It is published",
 * recorded as their decision), send it again (after a confirmation that says a second copy may
 * appear), or open the content.
 */
export function unconfirmedButtons(publication: Pick<Publication, 'id' | 'article' | 'post'>): Button[] {
  const contentId = idOf(publication.article ?? publication.post)
  return [
    { key: 'fix.is_published', data: `u:y:${publication.id}` },
    { key: 'fix.publish_again', data: `u:a:${publication.id}` },
    ...(contentId ? [{ key: 'fix.open', data: openContent(publication.article ? 'articles' : 'posts', Number(contentId)) }] : []),
  ]
}

/** What a notice says and which buttons it carries, by event (labels are text keys). */
function parts(notice: Notice, language: string): { key: string; params: Record<string, string | number>; buttons: Button[] } {
  switch (notice.event) {
    case 'review.approved':
      return { key: 'notify.review_approved', params: { title: notice.data.title, note: notice.data.note ?? '' }, buttons: [] }
    case 'review.changes_requested':
      return { key: 'notify.review_changes', params: { title: notice.data.title, note: notice.data.note ?? '' }, buttons: [] }
    case 'publication.failed': {
      const d = notice.data
      // What the customer can do: reconnect (the connection's card), edit (the content's card), or send it again.
      const buttons: Button[] = []
      if (d.kind === 'reauth' || d.kind === 'disconnected') buttons.push({ key: 'fix.reconnect', data: `n:o:${d.connectionId}` })
      if (d.kind === 'bad_request' && d.contentId) buttons.push({ key: 'fix.edit', data: openContent(d.collection, d.contentId) })
      buttons.push({ key: 'fix.retry', data: `u:r:${d.publicationId}` })
      return { key: 'notify.publication_failed', params: { title: d.title, connection: d.connection, reason: d.reason }, buttons }
    }
    case 'publication.unconfirmed': {
      const d = notice.data
      const buttons = unconfirmedButtons({
        id: d.publicationId,
        article: d.collection === 'articles' ? (d.contentId ?? null) : null,
        post: d.collection === 'posts' ? (d.contentId ?? null) : null,
      })
      const reason = d.reasonKey || !d.reason ? t(language, d.reasonKey ?? 'publish.unconfirmed') : d.reason
      return { key: 'notify.publication_unconfirmed', params: { title: d.title, connection: d.connection, reason }, buttons }
    }
    case 'publication.published': {
      const d = notice.data
      const buttons: Button[] = [
        ...(d.link ? [{ key: 'fix.open_post', url: d.link }] : []),
        ...(d.contentId ? [{ key: 'fix.open', data: openContent(d.collection, d.contentId) }] : []),
      ]
      return {
        key: d.link ? 'notify.publication_published' : 'notify.publication_published_nolink',
        params: { title: d.title, connection: d.connection, link: d.link ?? '' },
        buttons,
      }
    }
    case 'publication.found': {
      const d = notice.data
      return {
        key: 'notify.publication_found',
        params: { title: d.title, connection: d.connection, link: d.link },
        buttons: d.link ? [{ key: 'fix.open_post', url: d.link }] : [],
      }
    }
    case 'channel.lost':
      return { key: 'notify.channel_lost', params: { channel: notice.data.channel }, buttons: [] }
    case 'channel.restored':
      return { key: 'notify.channel_restored', params: { channel: notice.data.channel }, buttons: [] }
    case 'connection.connected': {
      const d = notice.data
      // Pinterest pins to one board: the customer sees which and can pick another at once.
      const buttons: Button[] = d.platform === 'pinterest' ? [{ key: 'conn.board_choose', data: `n:b:${d.connectionId}:1` }] : []
      buttons.push({ key: 'fix.open_connection', data: `n:o:${d.connectionId}` })
      const key = d.replaced ? 'notify.connection_reconnected' : 'notify.connection_connected'
      return { key, params: { connection: d.connection }, buttons }
    }
    case 'support.reply':
      // Staff tools (O8): a reply from the support inbox; the button opens support mode to answer.
      return { key: 'notify.support_reply', params: { text: notice.data.text }, buttons: [{ key: 'support.answer', data: 'sp:open' }] }
    case 'connection.lost':
      return {
        key: 'notify.connection_lost',
        params: { connection: notice.data.connection, reason: notice.data.reason },
        buttons: [{ key: 'fix.reconnect', data: `n:o:${notice.data.connectionId}` }],
      }
  }
}

/** A notice as the customer reads it: the text in their language and its buttons (one per row). */
export function renderNotice(notice: Notice, language: string): { text: string; replyMarkup?: InlineKeyboardMarkup } {
  const { key, params, buttons } = parts(notice, language)
  return {
    text: t(language, key, params),
    replyMarkup:
      buttons.length > 0
        ? { inline_keyboard: buttons.map((b) => ['url' in b ? { text: t(language, b.key), url: b.url } : { text: t(language, b.key), callback_data: b.data }]) }
        : undefined,
  }
}
