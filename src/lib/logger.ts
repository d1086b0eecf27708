import { formatWithOptions } from 'node:util'

import pino, { type LogFn, type Logger } from 'pino'
import { prettyFactory } from 'pino-pretty'
import { z } from 'zod'

/**
 * The one structured logger. Every process (web, worker, bot) uses it; handlers take a child
 * per request, update or job. Secrets are kept out twice: by key (the paths below), and by value
 * on the finished line (bot tokens by their shape, and the values of the secret settings), so a
 * secret inside an error message, a stack or a URL is caught too.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'credentials',
  '*.credentials',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'DATABASE_URL',
  'PAYLOAD_SECRET',
  'CREDENTIALS_ENCRYPTION_KEY',
  // A grammY context or Api object carries the bot token and the whole update.
  'ctx',
  '*.ctx',
  'api',
  '*.api',
]

const CENSOR = '[redacted]'

/** A Telegram bot token: the bot's id, a colon, 35 characters. */
const BOT_TOKEN_SHAPE = /\d+:[A-Za-z0-9_-]{35}/g

/** Settings whose values are secret, besides every *_SECRET, *_KEY, *_TOKEN or *_PASSWORD. */
const SECRET_SETTINGS = [
  'DATABASE_URL',
  'REDIS_URL',
  'PAYLOAD_SECRET',
  'CREDENTIALS_ENCRYPTION_KEY',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'METRICS_TOKEN',
  'AI_API_KEY',
  'ADMIN_PASSWORD',
  'PINTEREST_CLIENT_SECRET',
  'INSTAGRAM_APP_SECRET',
]
const SECRET_NAME = /(_SECRET|_KEY|_TOKEN|_PASSWORD)$/

/** Shorter values would censor ordinary words; none of our secrets is this short. */
const MIN_SECRET_LENGTH = 8

function secretValues(names: string[]): string[] {
  const values = new Set<string>()
  for (const name of names) {
    const value = process.env[name]
    if (!value) continue
    values.add(value)
    // Connection strings: the password alone may appear too (a driver's error message).
    if (/^[a-z]+:\/\//i.test(value)) {
      try {
        const password = new URL(value).password
        if (password) values.add(password).add(decodeURIComponent(password))
      } catch {
        // Not a URL after all: the value itself is enough.
      }
    }
  }
  return [...values].filter((value) => value.length >= MIN_SECRET_LENGTH)
}

/** Secret settings are read again at most this often: they change only in tests. */
const REFRESH_MS = 1_000

/**
 * Replaces every secret on a finished JSON line. The names are read once, their values at most
 * once a second, so the scrubbing costs a few microseconds a line.
 */
export function createSecretScrubber(): (line: string) => string {
  const names = [...new Set([...SECRET_SETTINGS, ...Object.keys(process.env).filter((n) => SECRET_NAME.test(n))])]
  let readAt = -Infinity
  let known: string[] = []
  return (line) => {
    const now = Date.now()
    if (now - readAt >= REFRESH_MS) {
      readAt = now
      // Longest first, so a secret that contains another is removed whole; each value also as it
      // reads inside a JSON string (quotes and backslashes escaped).
      known = [...new Set(secretValues(names).flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]))].sort(
        (a, b) => b.length - a.length,
      )
    }
    let scrubbed = line.replace(BOT_TOKEN_SHAPE, CENSOR)
    for (const value of known) if (scrubbed.includes(value)) scrubbed = scrubbed.split(value).join(CENSOR)
    return scrubbed
  }
}

/** Keys whose values are secret wherever they sit in an error (a client's request config, say). */
export const SECRET_KEY = /authorization|cookie|password|secret|token|credentials|api-?key/i

/**
 * Errors as pino's standard serializer writes them, minus what must never be printed: grammY's
 * BotError carries the whole context (`ctx`, whose `api` holds the token), and HTTP clients'
 * errors can carry the request's headers; secret-named keys are censored at any depth.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown
  return withoutSecrets(serialized, 0)
}

function withoutSecrets(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 6) return value
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (key === 'ctx' || key === 'api') continue
    out[key] = SECRET_KEY.test(key) ? CENSOR : withoutSecrets(item, depth + 1)
  }
  return out
}

/** Where lines go: stdout, or the file named by LOG_FILE (appended; tests read it back). */
function defaultDestination(): pino.DestinationStream | undefined {
  const file = process.env.LOG_FILE
  return file ? pino.destination({ dest: file, append: true, mkdir: true, sync: true }) : undefined
}

/**
 * How a line looks: JSON (one object a line, for a log collector), or readable for a developer's
 * terminal when LOG_FORMAT=pretty (`npm run dev` sets it). Production, tests and LOG_FILE always
 * get JSON.
 */
const LogFormat = z.enum(['json', 'pretty']).catch('json')
type LogFormat = z.infer<typeof LogFormat>

function defaultFormat(): LogFormat {
  const env = process.env.NODE_ENV
  if (process.env.LOG_FILE || env === 'production' || env === 'test') return 'json'
  return LogFormat.parse(process.env.LOG_FORMAT)
}

/**
 * Readable lines (pino-pretty) into a destination (stdout when none). Each is made from the
 * finished JSON line, after redaction and the scrubber, so it carries no more than the JSON
 * would; synchronously, so the last lines before an exit are not lost.
 */
export function prettyDestination(out?: pino.DestinationStream): pino.DestinationStream {
  const target = out ?? pino.destination({ dest: 1, sync: true })
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Colours only for a terminal (pino-pretty checks it and NO_COLOR), never into a stream of ours.
    ...(out ? { colorize: false } : {}),
  })
  return { write: (line: string) => void target.write(prettify(line)) }
}

/** The HTTP status an error carries (Payload's errors, ours, and GraphQL's wrapper of either). */
function statusOf(error: unknown): number | undefined {
  const candidate = error as { status?: unknown; originalError?: { status?: unknown } } | undefined
  const status = candidate?.status ?? candidate?.originalError?.status
  return typeof status === 'number' ? status : undefined
}

/**
 * A refusal (an error with a 4xx status) is the caller's doing: one info line with its message,
 * status and the caller's other fields, no stack, at whatever level it was logged. Decided by status, not by class name:
 * `next build` minifies class names, so Payload's `loggingLevels` (keyed by them) missed them all.
 */
function refusalsAtInfo(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number) {
  const [first] = args
  const error = first && typeof first === 'object' ? (first as { err?: unknown }).err : undefined
  const status = statusOf(error)
  if (level > 30 && status !== undefined && status >= 400 && status < 500) {
    const message = error instanceof Error ? error.message : typeof args[1] === 'string' ? args[1] : 'refused'
    // The caller's fields (account, platform, ids) stay; only the error with its stack goes.
    return this.info({ ...(first as object), err: undefined, status }, message)
  }
  return method.apply(this, args)
}

export function createLogger(
  options: { level?: string; name?: string; destination?: pino.DestinationStream; format?: LogFormat } = {},
): Logger {
  const scrub = createSecretScrubber()
  const destination = options.destination ?? defaultDestination()
  const format = options.format ?? (options.destination ? 'json' : defaultFormat())
  return pino(
    {
      name: options.name ?? 'postforge',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { err: serializeError, error: serializeError },
      hooks: { streamWrite: scrub, logMethod: refusalsAtInfo },
    },
    format === 'pretty' ? prettyDestination(destination) : destination,
  )
}

const SCRUBBED = Symbol.for('postforge.console.scrubbed')

/**
 * Next and libraries print through the console (a route error Next reports itself, a warning);
 * the web process sends those lines through the same scrubber, so a secret cannot leave by that
 * door either. Installed once per console.
 */
export function scrubConsole(target: Console = console): void {
  const marked = target as Console & { [SCRUBBED]?: true }
  if (marked[SCRUBBED]) return
  marked[SCRUBBED] = true
  const scrub = createSecretScrubber()
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = target[method].bind(target)
    target[method] = (...args: unknown[]) => original(scrub(formatWithOptions({ depth: 6 }, ...args)))
  }
}

let root: Logger | undefined

export function logger(): Logger {
  root ??= createLogger()
  return root
}
