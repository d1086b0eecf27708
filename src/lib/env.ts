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
  // AI generation jobs run in their own pool of this size, apart from publishing.
  WORKER_AI_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
  // A worker process silent this long is dead: its jobs and publish slots are released.
  WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(3_000).max(600_000).default(30_000),
  // graphile-worker's schema (its own variable name); one database can host separate queues.
  GRAPHILE_WORKER_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('graphile_worker'),

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
