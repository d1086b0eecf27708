import { spawnSync } from 'node:child_process'
import { Writable } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { ConfigError, parseEnv } from '../../src/lib/env'
import { createLogger } from '../../src/lib/logger'

const valid = {
  DATABASE_URL: 'postgres://app:sup3r-s3cret@db.internal:5432/app',
  PAYLOAD_SECRET: 'a'.repeat(40),
  CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
}

describe('configuration', () => {
  it('accepts a complete environment and fills defaults', () => {
    const env = parseEnv(valid)
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379')
    expect(env.PAYLOAD_DB_PUSH).toBe(false)
    expect(env.DB_POOL_MAX).toBe(10)
  })

  it('reads the empty lines of a copied .env.example as not set', () => {
    const env = parseEnv({ ...valid, AI_API_KEY: '', TELEGRAM_BOT_TOKEN: '', INSTAGRAM_APP_ID: '', METRICS_TOKEN: '' })
    expect(env.AI_API_KEY).toBeUndefined()
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined()
    expect(() => parseEnv({ ...valid, PAYLOAD_SECRET: '' })).toThrow('PAYLOAD_SECRET is required')
  })

  it('names every missing or malformed variable and never echoes a value', () => {
    try {
      parseEnv({ DATABASE_URL: 'mysql://root:hunter2@x/y', CREDENTIALS_ENCRYPTION_KEY: 'short', TELEGRAM_BOT_TOKEN: 'hunter2hunter2' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const message = (error as Error).message
      expect(message).toContain('PAYLOAD_SECRET is required')
      expect(message).toContain('DATABASE_URL must be a postgres:// connection string')
      expect(message).toContain('CREDENTIALS_ENCRYPTION_KEY must be 32 bytes encoded as base64')
      expect(message).toContain('TELEGRAM_BOT_TOKEN must look like')
      expect(message).not.toContain('hunter2')
    }
  })

  it('stops a process at boot with one message naming the variable', () => {
    const env: Record<string, string | undefined> = { ...process.env, ...valid, PAYLOAD_SECRET: '' }
    delete env.PAYLOAD_SECRET
    const result = spawnSync('node_modules/.bin/tsx', ['src/seed/run.ts'], { env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 })
    expect(result.status).not.toBe(0)
    expect(result.stderr.trim()).toBe(
      'postforge: Invalid configuration: PAYLOAD_SECRET is required. See .env.example.',
    )
    expect(result.stderr + result.stdout).not.toContain('sup3r-s3cret')
  })
})

describe('logger', () => {
  it('redacts secrets wherever they appear in a log line', () => {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const log = createLogger({ level: 'info', destination })
    log.child({ updateId: 42 }).info(
      { token: 'tg-secret', credentials: { accessToken: 'vk-secret' }, req: { headers: { authorization: 'Bearer abc-secret' } }, project: 7 },
      'publishing',
    )
    const line = JSON.parse(lines[0])
    expect(line.updateId).toBe(42)
    expect(line.project).toBe(7)
    expect(lines[0]).not.toMatch(/tg-secret|vk-secret|abc-secret/)
    expect(line.token).toBe('[redacted]')
  })
})
