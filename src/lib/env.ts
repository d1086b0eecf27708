import { z } from 'zod'

/**
 * The one place that reads the environment. Parsed once at boot; a missing or malformed
 * setting stops the process with a message that names the variable and never its value.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1')

const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes encoded as base64')

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PAYLOAD_SECRET: z.string().min(32, 'must be at least 32 characters'),
  CREDENTIALS_ENCRYPTION_KEY: base64Key,
  // While rotating the credentials key: the key being retired, still used to open what it sealed
  // until `npm run credentials:rotate` has re-sealed everything with CREDENTIALS_ENCRYPTION_KEY.
  CREDENTIALS_ENCRYPTION_PREVIOUS_KEY: base64Key.optional(),
  SERVER_URL: z.url().default('http://localhost:3000'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Log lines are appended to this file instead of stdout (tests read their own back).
  LOG_FILE: z.string().min(1).optional(),
  PAYLOAD_DB_PUSH: booleanFlag,
  MEDIA_DIR: z.string().default('media'),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),

  // Telegram bot: without a token the bot runs only inside the admin's bot console.
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{30,}$/, 'must look like 123456:ABC... from @BotFather')
    .optional(),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters of A-Z a-z 0-9 _ -')
    .optional(),
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  // What the bot may send: Telegram's limits by default (30 messages/s overall, ~1/s per chat,
  // 20 a minute per group or channel, which is what paces posts to a customer's channel).
  TELEGRAM_SENDS_PER_SECOND: z.coerce.number().positive().max(100_000).default(30),
  TELEGRAM_CHAT_SENDS_PER_SECOND: z.coerce.number().positive().max(100_000).default(1),
  TELEGRAM_GROUP_SENDS_PER_MINUTE: z.coerce.number().positive().max(6_000_000).default(20),
  BOT_USERNAME: z.string().regex(/^[A-Za-z0-9_]{5,32}$/).optional(),
  // Billing (B3): a contact /paysupport names besides /support (an @username, an email or a URL).
  SUPPORT_CONTACT: z.string().trim().min(3).max(200).optional(),

  // AI: OpenRouter by default; any OpenAI-compatible base URL (Ollama, vLLM, LiteLLM) works.
  AI_BASE_URL: z.url().default('https://openrouter.ai/api/v1'),
  AI_API_KEY: z.string().min(1).optional(),
  AI_PROVIDER: z.enum(['openrouter', 'openai-compatible']).default('openrouter'),
  AI_MODELS: z.string().optional(),
  AI_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(90_000),
  // Retries of one model before falling back to the next in its chain (each retry waits ~2 s).
  AI_MAX_RETRIES: z.coerce.number().int().min(0).max(3).default(1),
  // Optional JSON price table (USD per million tokens) for providers that report no cost:
  // {"llama3.1:8b":{"input":0.05,"output":0.08}}. OpenRouter's reported cost wins when present.
  AI_PRICES: z.string().optional(),
  // How often a streamed draft in the customer's chat is updated (Telegram: at most once a second).
  AI_DRAFT_INTERVAL_MS: z.coerce.number().int().min(200).max(20_000).default(1000),
  // Long articles (P1): sections written at once per article job, and at most this many at once
  // per account and over the whole installation (every worker process, through Redis).
  AI_SECTION_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
  AI_ACCOUNT_SECTION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  AI_GLOBAL_SECTION_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  // Competitor pages fetched for article briefs: size and time limits; private addresses are
  // refused unless this test-only flag is set.
  FETCH_MAX_BYTES: z.coerce.number().int().min(10_000).max(10_000_000).default(1_000_000),
  FETCH_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
  FETCH_ALLOW_PRIVATE: booleanFlag,

  // Publishing platforms.
  PUBLISH_HTTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(300_000).default(30_000),
  VK_API_BASE: z.url().default('https://api.vk.com'),
  PINTEREST_API_BASE: z.url().default('https://api.pinterest.com'),
  PINTEREST_CLIENT_ID: z.string().optional(),
  PINTEREST_CLIENT_SECRET: z.string().optional(),
  PINTEREST_OAUTH_URL: z.url().default('https://www.pinterest.com/oauth/'),
  INSTAGRAM_GRAPH_BASE: z.url().default('https://graph.facebook.com/v21.0'),
  INSTAGRAM_OAUTH_URL: z.url().default('https://www.facebook.com/v21.0/dialog/oauth'),
  INSTAGRAM_APP_ID: z.string().optional(),
  INSTAGRAM_APP_SECRET: z.string().optional(),
  // Instagram processes media asynchronously: how often and how long a publish waits for it.
  INSTAGRAM_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(3_000),
  INSTAGRAM_POLL_MAX_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  // Public base for media files (a CDN or bucket) where platforms fetch images by URL (Instagram);
  // without it SERVER_URL plus the media file's path is used.
  PUBLIC_MEDIA_BASE_URL: z.url().optional(),
  // Publishing caps: calls per minute per connection (overrides the per-platform defaults) and
  // publish calls running at once per platform, across all workers.
  PUBLISH_CONNECTION_RATE_PER_MIN: z.coerce.number().int().min(1).max(100_000).optional(),
  PUBLISH_PLATFORM_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(8),

  // Prometheus scraping of /api/metrics (Authorization: Bearer <token>); the endpoint is off without it.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  // Worker.
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  // Observability (O6: src/lib/telemetry/**). Errors go to Sentry only when SENTRY_DSN is set;
  // traces go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, e.g.
  // http://signoz:4318) only when it is set. The release is GIT_SHA or the package version.
  SENTRY_DSN: z.url().optional(),
  SENTRY_ENVIRONMENT: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a short name like production').optional(),
  GIT_SHA: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a commit id or version tag').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),
  // The worker's own Prometheus port (GET /metrics with METRICS_TOKEN); off when unset or 0.
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(0),

  // Alerts and backups (O7: src/ops/alerts*.ts, src/ops/backup*.ts). Alerts go to this staff
  // chat (a group id like -1001234567890, or @channel) through TELEGRAM_BOT_TOKEN; off while
  // either is unset.
  STAFF_ALERT_CHAT_ID: z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'must be a chat id (-100...) or @username').optional(),
  // The window the failure checks count over, and their thresholds within it.
  ALERT_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  ALERT_FAILED_PUBLICATIONS: z.coerce.number().int().min(1).max(100_000).default(5),
  ALERT_FAILED_JOBS: z.coerce.number().int().min(1).max(100_000).default(5),
  // One platform failing: at least this many distinct connections with a failed attempt on it.
  ALERT_PLATFORM_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(3),
  // How long the worker's heartbeat must stay lost before staff hear of it (a restart is not news).
  ALERT_WORKER_DOWN_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  // How often each web process's watchdog looks at the worker (one of them, elected in Redis, does).
  ALERT_WATCHDOG_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  // At most this many alert messages an hour; the rest are counted and mentioned in the next one.
  ALERT_MAX_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
  // Staff hear when the whole installation's AI spend of the UTC day passes this (USD); off unset.
  AI_DAILY_BUDGET_USD: z.coerce.number().positive().max(1_000_000).optional(),
  // Backups: pg_dump --format=custom of DATABASE_URL (and a tar of MEDIA_DIR) into BACKUP_DIR,
  // every BACKUP_INTERVAL_HOURS (0: off), keeping the newest BACKUP_KEEP and none older than
  // BACKUP_MAX_AGE_DAYS (the newest good one is always kept). PG_DUMP_PATH / PG_RESTORE_PATH point
  // at binaries whose major version is at least the server's.
  BACKUP_DIR: z.string().min(1).default('.data/backups'),
  BACKUP_INTERVAL_HOURS: z.coerce.number().int().min(0).max(720).default(12),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).default(14),
  BACKUP_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  PG_DUMP_PATH: z.string().min(1).default('pg_dump'),
  PG_RESTORE_PATH: z.string().min(1).optional(),

  // Card payments (B4 billing: Stripe and YooKassa). A provider without its keys is off; with
  // neither and BILLING_ENABLED unset, billing is off and every account stays on the default plan.
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'must be a Stripe secret key (sk_live_... or sk_test_...)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=_-]+$/, 'must be the endpoint signing secret (whsec_...)').optional(),
  // Tests only: where the stripe client connects instead of api.stripe.com (http://127.0.0.1:port).
  STRIPE_API_BASE: z.url().optional(),
  YOOKASSA_SHOP_ID: z.string().regex(/^\d{1,20}$/, 'must be the numeric shopId').optional(),
  YOOKASSA_SECRET_KEY: z.string().regex(/^(live|test)_[A-Za-z0-9_-]+$/, 'must be the secret key (live_... or test_...)').optional(),
  YOOKASSA_API_BASE: z.url().default('https://api.yookassa.ru/v3'),
  // 54-FZ receipts: the VAT code of our items (1 = no VAT ... 6 = 20/120) and, when the shop has
  // several tax systems, the one to use (1-6).
  YOOKASSA_VAT_CODE: z.coerce.number().int().min(1).max(12).default(1),
  YOOKASSA_TAX_SYSTEM_CODE: z.coerce.number().int().min(1).max(6).optional(),
  // Accept notifications only from YooKassa's published addresses (the client address is the
  // last X-Forwarded-For entry, as everywhere). Off by default: notifications are never trusted
  // anyway, the payment is always re-read from the API.
  YOOKASSA_CHECK_IP: booleanFlag,
  // Where the customer lands after paying (Stripe success/cancel, YooKassa return_url); without
  // it the bot's t.me link (BOT_USERNAME), else SERVER_URL.
  PAYMENT_RETURN_URL: z.url().optional(),

  // AI generation jobs run in their own pool of this size, apart from publishing.
  WORKER_AI_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
  // A worker process silent this long is dead: its jobs and publish slots are released.
  WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(3_000).max(600_000).default(30_000),
  // graphile-worker's schema (its own variable name); one database can host separate queues.
  GRAPHILE_WORKER_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('graphile_worker'),

  // Billing core (B2, src/billing): on when a payment provider is configured or this flag is set.
  // AI runs then spend credits = ceil(cost USD x BILLING_CREDITS_PER_USD x BILLING_CREDIT_MARGIN).
  BILLING_ENABLED: booleanFlag,
  BILLING_CREDITS_PER_USD: z.coerce.number().positive().max(1_000_000).default(100),
  BILLING_CREDIT_MARGIN: z.coerce.number().min(1).max(100).default(1.5),

  // Plans and limits (B1, src/usage/limits.ts): the plan code an account without a known plan gets;
  // unset, the plans row marked default in the admin.
  BILLING_DEFAULT_PLAN: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,31}$/, 'must be a plan code').optional(),
})

export type Env = z.infer<typeof EnvSchema>

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}. See .env.example.`)
    this.name = 'ConfigError'
  }
}

export function parseEnv(raw: Record<string, string | undefined> = process.env): Env {
  // `NAME=` (as copied from .env.example) means "not set", never "set to nothing".
  const source = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''))
  const result = EnvSchema.safeParse(source)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || 'environment'
    const missing = issue.code === 'invalid_type' && source[name] === undefined
    return missing ? `${name} is required` : `${name} ${issue.message}`
  })
  throw new ConfigError(problems)
}

let cached: Env | undefined

export function env(): Env {
  cached ??= parseEnv()
  return cached
}

/** Re-reads process.env: for tests that point clients at fake servers started at run time. */
export function reloadEnv(): Env {
  cached = parseEnv()
  return cached
}
