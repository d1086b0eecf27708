import path from 'node:path'

import { defineConfig } from 'vitest/config'

import { HOOK_TIMEOUT_MS, TEST_TIMEOUT_MS } from './tests/helpers/timeouts.ts'

export default defineConfig({
  resolve: {
    alias: {
      '@payload-config': path.resolve(import.meta.dirname, 'src/payload.config.ts'),
      '@': path.resolve(import.meta.dirname, 'src'),
    },
  },
  test: {
    environment: 'node',
    include: ['tests/int/**/*.int.spec.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    setupFiles: ['tests/helpers/setupEnv.ts'],
    // Generous for a busy 2-core machine (tests/helpers/timeouts.ts says why); waitFor follows them.
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: HOOK_TIMEOUT_MS,
    pool: 'forks',
    maxWorkers: 2,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PAYLOAD_SECRET: 'test-secret-that-is-long-enough-0123456789',
      CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      MEDIA_DIR: '.data/test-media',
      PAYLOAD_DB_PUSH: 'false',
      // AI counts as configured; no test reaches openrouter.ai (AI tests point AI_BASE_URL at a fake).
      AI_API_KEY: 'test-key-never-sent',
      // Test files run side by side on one fake Telegram: no pacing between them. The pacing
      // itself is tested with Telegram's real limits in bot-infra.
      TELEGRAM_SENDS_PER_SECOND: '10000',
      TELEGRAM_CHAT_SENDS_PER_SECOND: '10000',
      TELEGRAM_GROUP_SENDS_PER_MINUTE: '600000',
      // O7: no scheduled backups of the test database from workers the tests start (the backup
      // tests run theirs on demand).
      BACKUP_INTERVAL_HOURS: '0',
    },
  },
})
