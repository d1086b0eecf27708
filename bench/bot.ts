/**
 * Webhook throughput and latency of our bot against bare grammY, same machine, same run.
 *
 * Both sides get the same updates through grammY's `std/http` webhook adapter, in-process
 * (Request in, Response out, as the Next route does), with 50 chats sending at once and each
 * chat's updates in order, and both reply through the same fake Bot API over HTTP, which runs
 * in a process of its own (as Telegram would).
 *   - bare:  a grammY Bot with in-memory sessions that answers every update with one message.
 *   - ours:  createBot() behind our webhook handler: secret check, update_id de-duplication in
 *            Redis, Redis sessions, the Redis token bucket, the account loaded from PostgreSQL,
 *            and real features (main menu, projects list read from PostgreSQL, unknown text).
 *
 *   npx tsx bench/bot.ts [updates=6000] [chats=50]
 */
import { randomBytes } from 'node:crypto'

import { Bot, session, webhookCallback } from 'grammy'
import type { Update } from 'grammy/types'
import { Redis } from 'ioredis'

import { FAKE_BOT } from '../tests/fakes/telegramBotApi'
import { fakeTelegramProcess, percentile, row, scratchDatabase } from './lib'

const UPDATES = Number(process.argv[2] ?? 6_000)
const CHATS = Number(process.argv[3] ?? 50)
const TOKEN = `7000000001:${'B'.repeat(35)}`
const SECRET = randomBytes(16).toString('hex')
const USER_BASE = 3_000_000_000

process.env.LOG_LEVEL ??= 'silent'
process.env.PAYLOAD_SECRET ??= randomBytes(32).toString('hex')
process.env.CREDENTIALS_ENCRYPTION_KEY ??= randomBytes(32).toString('base64')

type Handler = (request: Request) => Promise<Response>

/** Commands sent by the bench's Redis client (the one ours uses), for commands per update. */
let redisCommands = 0

function updatesFor(chat: number, count: number, firstId: number): Update[] {
  const from = { id: chat, is_bot: false, first_name: 'Bench', language_code: 'ru' }
  const chatObject = { id: chat, type: 'private' as const, first_name: 'Bench' }
  return Array.from({ length: count }, (_, i) => {
    const date = Math.floor(Date.now() / 1000)
    const kind = i % 3
    if (kind === 1) {
      return {
        update_id: firstId + i,
        callback_query: {
          id: `${chat}-${i}`,
          from,
          chat_instance: String(chat),
          data: 'p:list:1',
          message: { message_id: 1, date, chat: chatObject, from: FAKE_BOT, text: 'menu' },
        },
      }
    }
    const text = kind === 0 ? '/menu' : 'просто текст'
    return {
      update_id: firstId + i,
      message: {
        message_id: i + 2,
        date,
        chat: chatObject,
        from,
        text,
        ...(text.startsWith('/') ? { entities: [{ type: 'bot_command' as const, offset: 0, length: text.length }] } : {}),
      },
    }
  })
}

/** 50 chats at once, each chat's updates one after another; latency per update. */
async function drive(label: string, handler: Handler, chats: number[], total = UPDATES) {
  const perChat = Math.ceil(total / chats.length)
  let nextId = Math.floor(Math.random() * 1e9)
  const queues = chats.map((chat) => {
    const updates = updatesFor(chat, perChat, nextId)
    nextId += perChat
    return updates
  })
  const latencies: number[] = []
  let failures = 0
  const commandsBefore = redisCommands
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await Promise.all(
    queues.map(async (updates) => {
      for (const update of updates) {
        const t0 = performance.now()
        const response = await handler(
          new Request('http://bench.local/api/telegram', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
            body: JSON.stringify(update),
          }),
        )
        await response.text()
        if (!response.ok) failures++
        latencies.push(performance.now() - t0)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  // CPU of this process per update (ours: webhook + bot; Redis, PostgreSQL and the fake Bot API
  // run elsewhere) is steadier than throughput on a shared machine; so is the Redis command count.
  const cpuMsPerUpdate = (cpu.user + cpu.system) / 1000 / latencies.length
  const commandsPerUpdate = (redisCommands - commandsBefore) / latencies.length
  latencies.sort((a, b) => a - b)
  const perSecond = latencies.length / seconds
  row(label, {
    updates: latencies.length,
    'updates/s': Math.round(perSecond),
    p50ms: percentile(latencies, 50).toFixed(1),
    p99ms: percentile(latencies, 99).toFixed(1),
    failed: failures,
    'cpu ms/update': cpuMsPerUpdate.toFixed(2),
    'redis cmds/update': commandsPerUpdate.toFixed(1),
  })
  return { perSecond, p99: percentile(latencies, 99), cpuMsPerUpdate }
}

async function main() {
  const fake = await fakeTelegramProcess()
  const db = await scratchDatabase('postforge_bench_bot')
  process.env.DATABASE_URL = db.url
  const { getPayload } = await import('payload')
  const { default: config } = await import('../src/payload.config')
  const payload = await getPayload({ config })
  await payload.db.migrate()
  const { createBot } = await import('../src/bot/bot')
  const { createWebhookHandler } = await import('../src/bot/webhook')
  const { DEFAULT_LIMITS } = await import('../src/bot/rateLimit')
  const { TELEGRAM_LIMITS } = await import('../src/telegram/outgoing')
  // As the web process's client (src/lib/redis.ts): commands of one tick share a socket write.
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true })
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = ((...args: Parameters<typeof send>) => {
    redisCommands++
    return send(...args)
  }) as typeof redis.sendCommand
  const keyPrefix = `bench:bot:${Date.now()}:`

  const chats = Array.from({ length: CHATS }, (_, i) => USER_BASE + i)
  for (const chat of chats) {
    const account = await payload.create({
      collection: 'accounts',
      data: {
        telegramId: chat,
        displayName: `Bench ${chat}`,
        language: 'ru',
        timezone: 'Europe/Moscow',
        plan: 'pro',
        status: 'active',
        verifiedHumanAt: new Date().toISOString(),
      },
      overrideAccess: true,
    })
    for (let p = 0; p < 3; p++) {
      await payload.create({
        collection: 'projects',
        data: { account: account.id, name: `Project ${p}`, timezone: 'Europe/Moscow', language: 'ru', reviewPolicy: 'staff' },
        overrideAccess: true,
      })
    }
  }

  const bare = new Bot<any>(TOKEN, { botInfo: FAKE_BOT, client: { apiRoot: fake.url } })
  bare.use(session({ initial: () => ({ n: 0 }) }))
  bare.on('callback_query', async (ctx) => {
    ctx.session.n++
    await ctx.answerCallbackQuery()
  })
  bare.on('message', async (ctx) => {
    ctx.session.n++
    await ctx.reply(`message ${ctx.session.n}`)
  })
  const bareHandler = webhookCallback(bare, 'std/http', { secretToken: SECRET })

  const ours = createBot({
    token: TOKEN,
    payload,
    redis,
    apiRoot: fake.url,
    botInfo: FAKE_BOT,
    keyPrefix,
    // The bucket is still checked in Redis for every update; it is just large enough never to drop.
    limits: { ...DEFAULT_LIMITS, updates: { capacity: 1_000_000, perSecond: 1_000_000 } },
    // Sends are still reserved in Redis, but not held to Telegram's 30/s (that pacing is tested in
    // tests/int/bot-infra): this measures our handling, not Telegram's budget.
    outgoing: { ...TELEGRAM_LIMITS, global: { perSecond: 1e6, burst: 1e6 }, perChat: { perSecond: 1e6, burst: 1e6 } },
  })
  const oursHandler = createWebhookHandler({ secret: SECRET, redis, keyPrefix, bot: async () => ours })

  process.stdout.write(`bot webhook: ${UPDATES} updates from ${CHATS} concurrent chats (menu, projects list, text)\n`)
  // Warm both (JIT, pools, Payload's first queries), then measure: bare, ours, bare again.
  await drive('warm-up bare', bareHandler, chats.slice(0, 5), 500)
  await drive('warm-up ours', oursHandler, chats.slice(0, 5), 500)
  const a = await drive('bare grammY, memory sessions', bareHandler, chats)
  const b = await drive('ours: Redis + PostgreSQL', oursHandler, chats)
  const c = await drive('bare grammY again', bareHandler, chats)
  const baseline = (a.perSecond + c.perSecond) / 2
  process.stdout.write(
    `ratio ours/bare throughput: ${(b.perSecond / baseline).toFixed(2)}  ` +
      `CPU per update ours/bare: ${(b.cpuMsPerUpdate / ((a.cpuMsPerUpdate + c.cpuMsPerUpdate) / 2)).toFixed(1)}x  ` +
      `(target: >= 1000 updates/s and p99 < 100 ms; ours ${Math.round(b.perSecond)}/s, p99 ${b.p99.toFixed(1)} ms)\n`,
  )

  const keys = await redis.keys(`${keyPrefix}*`)
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500))
  await redis.quit()
  await payload.destroy()
  fake.close()
  // Dropping with FORCE ends connections the pool may still hold: that is expected here.
  ;(payload.db as unknown as { pool?: { on: (e: string, f: () => void) => void } }).pool?.on('error', () => {})
  await db.drop()
}

await main()
process.exit(0)
