import { t } from '../i18n'

/** A button that opens something in the bot (its callback data) or a page (a URL, e.g. the post). */
export type NoticeButton = { key: string; data: string } | { key: string; url: string }

/** Bot buttons (one per row) with their labels in the customer's language, or none. */
export function noticeKeyboard(language: string, buttons: NoticeButton[]) {
  return buttons.length > 0
    ? {
        inline_keyboard: buttons.map((b) => [
          'url' in b ? { text: t(language, b.key), url: b.url } : { text: t(language, b.key), callback_data: b.data },
        ]),
      }
    : undefined
}
