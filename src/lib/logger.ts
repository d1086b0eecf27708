import pino, { type Logger } from 'pino'

/**
 * The one structured logger. Every process (web, worker, bot) uses it; handlers take a child
 * per request, update or job. Secrets are redacted by key wherever they appear.
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
]

export function createLogger(
  options: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'postforge',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination,
  )
}

let root: Logger | undefined

export function logger(): Logger {
  root ??= createLogger()
  return root
}
