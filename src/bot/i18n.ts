/**
 * The bot's texts moved into the one dictionary in src/i18n (ru.ts, en.ts); this file only
 * forwards the names the bot imports until its imports point there.
 */
export { DICTIONARIES as BOT_DICTIONARIES, languageFromTelegram, tr } from '../i18n'
