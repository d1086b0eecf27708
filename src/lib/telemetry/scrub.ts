import { createSecretScrubber, REDACT_PATHS, SECRET_KEY } from '../logger'

/**
 * What leaves this machine in an error report carries no secret and no personal data: the same
 * key list the logger redacts (REDACT_PATHS, and any secret-looking key name), the values of the
 * secret settings and bot tokens wherever they appear (messages, stacks, URLs, breadcrumbs), and
 * personal data (e-mail addresses, phone numbers, names, message texts, cookies, request bodies).
 * Applied to the whole event just before it is sent (Sentry's beforeSend).
 */
const CENSOR = '[redacted]'

/** The last segment of each logger path: `req.headers.cookie` → `cookie`. */
const LOGGER_KEYS = new Set(
  REDACT_PATHS.map((p) => p.split('.').at(-1)!.replace(/^\["?|"?\]$/g, '').replace(/^\[|\]$/g, '').toLowerCase()),
)

/** Keys whose values are personal data or a customer's words: never sent. */
const PERSONAL_KEY = /^(e-?mail|phone(_number)?|first_name|last_name|username|display_?name|text|caption|message_text|cookies?|ip_address|body|data)$/i

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
/** International or local phone numbers: +7 912 345-67-89, 8 (912) 345 67 89, +44 20 7946 0958. */
const PHONE = /(?<![\w/.:-])\+?\d[\d ()-]{8,}\d(?![\w/.-])/g

let scrubSecrets: ((line: string) => string) | undefined

export function scrubText(value: string): string {
  scrubSecrets ??= createSecretScrubber()
  return scrubSecrets(value).replace(EMAIL, '[email]').replace(PHONE, '[phone]')
}

function secretKey(key: string): boolean {
  return LOGGER_KEYS.has(key.toLowerCase()) || SECRET_KEY.test(key)
}

/** Scrubs any JSON-like value; keys named like secrets or personal data lose their values. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value)
  if (value === null || typeof value !== 'object' || depth > 12) return value
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (secretKey(key) || PERSONAL_KEY.test(key)) {
      out[key] = CENSOR
      continue
    }
    out[scrubText(key)] = scrubValue(item, depth + 1)
  }
  return out
}

type EventLike = {
  user?: Record<string, unknown>
  request?: Record<string, unknown>
  breadcrumbs?: { message?: string; data?: Record<string, unknown>; category?: string }[]
  [key: string]: unknown
}

/**
 * Sentry's beforeSend: the request keeps only its method and path (no headers, cookies, query or
 * body), the user only their account id, breadcrumbs only what the scrubber lets through, and
 * everything else is walked by `scrubValue`.
 */
export function scrubEvent<E extends EventLike>(event: E): E {
  const copy = { ...event }
  if (copy.request) {
    const url = typeof copy.request.url === 'string' ? copy.request.url.split('?')[0] : undefined
    copy.request = { method: copy.request.method, url }
  }
  if (copy.user) copy.user = copy.user.id === undefined ? {} : { id: copy.user.id }
  const { user, ...rest } = copy
  const scrubbed = scrubValue(rest) as E
  if (user) scrubbed.user = user
  return scrubbed
}
