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
  SERVER_URL: z.url().default('http://localhost:3000'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PAYLOAD_DB_PUSH: booleanFlag,
  MEDIA_DIR: z.string().default('media'),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
})

export type Env = z.infer<typeof EnvSchema>

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}. See .env.example.`)
    this.name = 'ConfigError'
  }
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
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

/** Values that must never reach a log line or an error message. */
export const SECRET_ENV_KEYS = [
  'DATABASE_URL',
  'PAYLOAD_SECRET',
  'CREDENTIALS_ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'REDIS_URL',
] as const
