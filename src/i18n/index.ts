/**
 * Every customer-facing text, in one dictionary per language: Russian first (ru.ts), English
 * too (en.ts), with the same keys and the same parameters (tests/int/i18n.int.spec.ts checks
 * both). The bot, API errors, the admin, jobs and notices all read from here, so a thing is said
 * once and the same way on every face.
 *
 * One escaping rule, by how the text is sent:
 * - `tr()` for text sent as HTML (every bot screen and message with parse_mode HTML): each
 *   parameter is HTML-escaped as it is filled in, so customer data ("Кофе & <чай>") stays text
 *   while the template's own tags stay markup. Pass parameters raw, never escaped beforehand
 *   (that would show "&amp;amp;").
 * - `t()` for plain text (API error bodies, the admin, stored reasons, messages sent without a
 *   parse mode): parameters go in as they are.
 */
import { escapeHtml } from '../lib/text'
import { en } from './en'
import { ru } from './ru'

export const LANGUAGES = ['ru', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

type Params = Record<string, string | number>

export const DICTIONARIES: Record<Language, Record<string, string>> = { ru, en }

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

/** A text for plain-text channels: parameters as they are. Russian where the language is unknown. */
export function t(language: string | undefined | null, key: string, params: Params = {}): string {
  const lang = isLanguage(language) ? language : 'ru'
  const template = DICTIONARIES[lang][key] ?? en[key] ?? key
  return formatMessage(lang, template, params)
}

/** A text for HTML (Telegram's parse mode): parameters HTML-escaped. Russian where the language is unknown. */
export function tr(language: string | undefined | null, key: string, params: Params = {}): string {
  const lang = isLanguage(language) ? language : 'ru'
  const template = DICTIONARIES[lang][key] ?? en[key] ?? key
  return formatMessage(lang, template, params, escapeHtml)
}

/** Russian for Russian-reading Telegram users (ru, uk, be, kk), English for everyone else. */
export function languageFromTelegram(code: string | undefined): Language {
  return code && /^(ru|uk|be|kk)\b/i.test(code) ? 'ru' : 'en'
}

/** `{count, plural, one {# слот} few {# слота} many {# слотов} other {# слота}}`: ICU's plural subset. */
const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other) \{[^{}]*\})+)\s*\}/g

/**
 * Fills a template: plural forms chosen by `Intl.PluralRules` for the language (Russian has one,
 * few and many: 1 слот, 21 слот, 3 слота, 54 слота, 11 слотов), `#` being the number, then
 * `{name}` parameters, passed through `escape` (HTML escaping for `tr`, none for `t`).
 */
export function formatMessage(
  language: Language,
  template: string,
  params: Params = {},
  escape: (value: string) => string = (value) => value,
): string {
  return template
    .replace(PLURAL, (_, name: string, cases: string) => {
      const count = Number(params[name] ?? 0)
      const forms = new Map([...cases.matchAll(/(=\d+|\w+) \{([^{}]*)\}/g)].map((m) => [m[1], m[2]]))
      const form =
        forms.get(`=${count}`) ?? forms.get(new Intl.PluralRules(language).select(count)) ?? forms.get('other') ?? ''
      return form.replace(/#/g, String(count))
    })
    .replace(/\{(\w+)\}/g, (_, name: string) => escape(String(params[name] ?? '')))
}
