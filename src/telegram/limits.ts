/**
 * Telegram's own limits on what a bot sends, in one place (Bot API docs: sendMessage, sendPhoto,
 * InlineKeyboardButton). Text limits count characters after entity parsing: the text a reader
 * sees, not the HTML tags around it (see `visibleLength` in ./html).
 */
export const TELEGRAM_TEXT_LIMITS = {
  /** A message's text (sendMessage, editMessageText, sendMessageDraft). */
  message: 4096,
  /** A photo's, document's or album's caption. */
  caption: 1024,
  /** A button's callback data, in bytes (UTF-8). */
  callbackDataBytes: 64,
} as const
