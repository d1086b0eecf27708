/**
 * Redis memory per customer's bot state, measured: N customers (default 10,000) each send /menu,
 * start creating a project (/new) and answer its first question, through our webhook handler and
 * createBot on a scratch database, as the web app does. Then every Redis key of that database's
 * scope (sessions and open conversations, update ids, rate-limit buckets, send budgets, the
 * account cache, activity gates...) is measured with MEMORY USAGE and grouped by family.
 *
 *   npm run bench:redis -- [customers=10000] [concurrency=50]
 *
 * Prints bytes per customer per family, the total for N customers, and the audit's bar
 * (10,000 states in 50 MB). Keys with a TTL are counted as they stand right after the traffic (the
 * worst moment: update ids are kept a day, sessions three days).
 */
import { randomBytes } from 'node:crypto'

import type { Update } from 'grammy/types'
import { Redis } from 'ioredis'
import pg from 'pg'

import { FAKE_BOT } from '../tests/fakes/telegramBotApi'
import { fakeTelegramProcess, row, scratchDatabase } from './lib'

const CUSTOMERS = Number(process.argv[2] ?? 10_000)
const CONCURRENCY = Number(process.argv[3] ?? 50)
const TOKEN = `7000000001:${'R'.repeat(35)}`
const SECRET = randomBytes(16).toString('hex')
const USER_BASE = 5_000_000_000

process.env.LOG_LEVEL ??= 'silent'
process.env.PAYLOAD_SECRET ??= randomBytes(32).toString('hex')
process.env.CREDENTIALS_ENCRYPTION_KEY ??= randomBytes(32).toString('base64')

let updateId = Math.floor(Math.random() * 1e9)
function message(chat: number, text: string): Update {
  const from = { id: chat, is_bot: false, first_name: 'Mem', language_code: 'ru' }
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: 'private', first_name: 'Mem' },
      from,
      text,
      ...(text.startsWith('/') ? { entities: [{ type: 'bot_command' as const, offset: 0, length: text.length }] } : {}),
    },
  }
}

/** A key's family: the key with the scope and every number replaced. */
function family(key: string, scope: string): string {
  return key.replaceAll(scope, '<db>').replace(/\d{3,}/g, '<n>')
}

async function main() {
  const fake = await fakeTelegramProcess()
  const db = await scratchDatabase('postforge_bench_redis')
  process.env.DATABASE_URL = db.url
  process.env.TELEGRAM_API_ROOT = fake.url
  const { getPayload } = await import('payload')
  const { default: config } = await import('../src/payload.config')
  const payload = await getPayload({ config })
  await payload.db.migrate()
  const { createBot, botKeyPrefix } = await import('../src/bot/bot')
  const { createWebhookHandler } = await import('../src/bot/webhook')
  const { DEFAULT_LIMITS } = await import('../src/bot/rateLimit')
  const { TELEGRAM_LIMITS } = await import('../src/telegram/outgoing')
  const { databaseScope } = await import('../src/lib/redis')
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const scope = databaseScope()
  const keyPrefix = botKeyPrefix()

  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  await client.query(
    `insert into accounts (telegram_id, display_name, language, timezone, plan, status, verified_human_at)
     select $1::bigint + g, 'Mem ' || g, 'ru', 'Europe/Moscow', 'pro', 'active', now() from generate_series(0, $2::int - 1) g`,
    [USER_BASE, CUSTOMERS],
  )
  await client.end()

  const bot = createBot({
    token: TOKEN,
    payload,
    redis,
    apiRoot: fake.url,
    botInfo: FAKE_BOT,
    keyPrefix,
    limits: DEFAULT_LIMITS,
    outgoing: { ...TELEGRAM_LIMITS, global: { perSecond: 1e6, burst: 1e6 }, perChat: { perSecond: 1e6, burst: 1e6 } },
  })
  const handler = createWebhookHandler({ secret: SECRET, redis, keyPrefix, bot: async () => bot })
  const send = async (update: Update) => {
    const response = await handler(
      new Request('http://bench.local/api/telegram', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        body: JSON.stringify(update),
      }),
    )
    if (!response.ok) throw new Error(`webhook answered ${response.status}`)
    await response.text()
  }

  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CUSTOMERS) {
        const chat = USER_BASE + next++
        await send(message(chat, '/menu'))
        await send(message(chat, '/new'))
        await send(message(chat, 'Кофейня «Зерно» на Баумана'))
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  process.stdout.write(`${CUSTOMERS} customers × 3 updates in ${seconds.toFixed(1)} s\n`)

  // Every key of this database's scope, measured.
  const families = new Map<string, { keys: number; bytes: number }>()
  let cursor = '0'
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `*${scope}*`, 'COUNT', 2000)
    cursor = nextCursor
    if (keys.length === 0) continue
    const pipeline = redis.pipeline()
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
    const sizes = (await pipeline.exec()) ?? []
    keys.forEach((key, i) => {
      const name = family(key, scope)
      const entry = families.get(name) ?? { keys: 0, bytes: 0 }
      entry.keys += 1
      entry.bytes += Number(sizes[i]?.[1] ?? 0)
      families.set(name, entry)
    })
  } while (cursor !== '0')

  let total = 0
  for (const [name, { keys, bytes }] of [...families].sort((a, b) => b[1].bytes - a[1].bytes)) {
    total += bytes
    row(name.slice(0, 60), { keys, 'bytes/customer': Math.round(bytes / CUSTOMERS), MB: (bytes / 1e6).toFixed(2) })
  }
  const per = total / CUSTOMERS
  row('total', { 'bytes/customer': Math.round(per), MB: (total / 1e6).toFixed(2), 'MB for 10,000': ((per * 10_000) / 1e6).toFixed(1), bar: '<= 50 MB' })

  // What one customer's session holds after those three updates (the open conversation included).
  process.stdout.write(`one session: ${await redis.get(`${keyPrefix}session:${USER_BASE}`)}\n`)

  // Clean up what this run put in Redis.
  cursor = '0'
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `*${scope}*`, 'COUNT', 2000)
    cursor = nextCursor
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
  await redis.quit()
  await payload.destroy()
  fake.close()
  ;(payload.db as unknown as { pool?: { on: (e: string, f: () => void) => void } }).pool?.on('error', () => {})
  await db.drop()
}

await main()
process.exit(0)
