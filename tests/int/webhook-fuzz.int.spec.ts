import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { POST } from '../../src/app/api/telegram/route'
import { botKeyPrefix } from '../../src/bot/bot'
import { reloadEnv } from '../../src/lib/env'
import { closeRedis, redis } from '../../src/lib/redis'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from '../helpers/payload'
import { TOKEN, webhookRequest } from './bot-harness'

/**
 * Thousands of generated malformed updates against the real webhook route, the real bot, real
 * PostgreSQL and Redis, and the fake Bot API: wrong types, missing fields, huge strings, NUL
 * bytes, unknown update kinds, messages without a sender or chat, junk button data, deep JSON.
 * With the infrastructure healthy nothing may answer 5xx, nothing secret may be logged, and
 * memory must stay bounded.
 */
const logFile = vi.hoisted(() => {
  const file = `${process.cwd()}/.data/test-logs/webhook-fuzz-${process.pid}-${Date.now()}.log`
  process.env.LOG_FILE = file
  process.env.LOG_LEVEL = 'info'
  return file
})

const SECRET = 'fuzz-webhook-secret-0123456789_abc'
const RUNS = Number(process.env.FUZZ_RUNS ?? 3_000)
const savedEnv = { ...process.env }
let fake: FakeTelegram
let updateId = randomInt(1_000_000, 1_000_000_000)
/** A few people who write again and again (sessions, flows, limits), and the odd stranger. */
const people = Array.from({ length: 8 }, () => randomInt(100_000_000, 2_000_000_000))

const printed: string[] = []

const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant('\u0000'),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
)
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string().map((s) => `${s}\u0000${s}`),
  fc.nat({ max: 300_000 }).map((n) => 'я'.repeat(n)),
  fc.constantFrom('/start', '/help', '/projects', '/new', '/cancel', '/language', '/menu', '/start \u0000', '/help@postforge_test_bot'),
  fc.constantFrom('\u202e', '<b>', '&amp;', '"; drop table accounts; --', '../../etc/passwd', '%00', '\ud800'),
)
const id = fc.oneof(fc.constantFrom(...people), fc.integer(), fc.double(), fc.string(), fc.constant(null))
const user = fc.record(
  { id, is_bot: fc.oneof(fc.boolean(), junk), first_name: fc.oneof(nasty, junk), username: fc.oneof(fc.string(), junk), language_code: fc.oneof(fc.constantFrom('ru', 'en', 'de'), junk) },
  { requiredKeys: [] },
)
const chat = fc.record(
  { id, type: fc.oneof(fc.constantFrom('private', 'group', 'supergroup', 'channel'), junk), first_name: fc.oneof(nasty, junk), title: fc.oneof(nasty, junk) },
  { requiredKeys: [] },
)
const entity = fc.record(
  { type: fc.oneof(fc.constantFrom('bot_command', 'url', 'mention', 'text_link'), junk), offset: fc.oneof(fc.integer(), junk), length: fc.oneof(fc.integer(), junk), url: fc.oneof(fc.webUrl(), junk) },
  { requiredKeys: [] },
)
const file = fc.record(
  { file_id: fc.oneof(fc.string(), junk), file_unique_id: fc.string(), file_name: fc.oneof(nasty, junk), file_size: fc.oneof(fc.integer(), junk), mime_type: fc.oneof(fc.constantFrom('text/csv', 'image/jpeg', 'application/pdf'), junk) },
  { requiredKeys: [] },
)
const message = fc.record(
  {
    message_id: fc.oneof(fc.nat(), junk),
    date: fc.oneof(fc.nat(), junk),
    chat,
    from: user,
    text: fc.oneof(nasty, junk),
    caption: fc.oneof(nasty, junk),
    entities: fc.oneof(fc.array(entity, { maxLength: 4 }), junk),
    document: fc.oneof(file, junk),
    photo: fc.oneof(fc.array(file, { maxLength: 3 }), junk),
    sticker: fc.oneof(file, junk),
    reply_to_message: fc.oneof(fc.record({ message_id: fc.nat(), text: nasty }), junk),
  },
  { requiredKeys: [] },
)
const buttonData = fc.oneof(
  fc.constantFrom('p:list:1', 'p:new', 'm:lang', 'm:help', 'm:home', 'cap:0', 'cap:5', 'm:sl:ru', 'p:o:1', 'c:mv:a:1:a', 'k:st:1:d', 'u:l:1:1'),
  fc.tuple(fc.constantFrom('p', 'k', 'c', 'm', 'u', 's', 'cap', 'x'), fc.string(), fc.string()).map((parts) => parts.join(':')),
  fc.string({ maxLength: 300 }),
  junk,
)
const callbackQuery = fc.record(
  { id: fc.oneof(fc.string(), junk), from: user, chat_instance: fc.oneof(fc.string(), junk), data: buttonData, message: fc.oneof(message, junk) },
  { requiredKeys: [] },
)
const kind = fc.oneof(
  message.map((m) => ({ message: m })),
  message.map((m) => ({ edited_message: m })),
  message.map((m) => ({ channel_post: m })),
  callbackQuery.map((c) => ({ callback_query: c })),
  fc.record({ chat, from: user, date: fc.nat(), old_chat_member: fc.anything({ maxDepth: 2 }), new_chat_member: fc.anything({ maxDepth: 2 }) }, { requiredKeys: [] }).map((m) => ({ my_chat_member: m })),
  fc.record({ chat, message_id: fc.nat(), user, actor_chat: chat, date: fc.nat(), old_reaction: junk, new_reaction: junk }, { requiredKeys: [] }).map((r) => ({ message_reaction: r })),
  fc.dictionary(fc.string({ maxLength: 20 }), fc.anything({ maxDepth: 3 }), { maxKeys: 3 }),
  junk.map((value) => ({ message: value })),
)

/** What reaches the route: mostly updates, some broken envelopes and raw bodies. */
type Case = { body: string; secret: boolean }
const cases: fc.Arbitrary<Case> = fc.oneof(
  { weight: 12, arbitrary: kind.map((k) => ({ body: JSON.stringify({ update_id: ++updateId, ...k }), secret: true })) },
  {
    weight: 1,
    arbitrary: fc.nat({ max: 20_000 }).map((depth) => ({
      body: `{"update_id":${++updateId},"message":{"chat":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      secret: true,
    })),
  },
  { weight: 1, arbitrary: fc.oneof(junk, fc.record({ update_id: junk })).map((value) => ({ body: JSON.stringify(value) ?? 'undefined', secret: true })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((body) => ({ body, secret: true })) },
  { weight: 1, arbitrary: fc.constant({ body: `{"update_id":${updateId},"message":{"text":"${'x'.repeat(2 * 1024 * 1024)}"}}`, secret: true }) },
  { weight: 1, arbitrary: kind.map((k) => ({ body: JSON.stringify({ update_id: ++updateId, ...k }), secret: false })) },
)

beforeAll(async () => {
  fake = await startFakeTelegram()
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url })
  reloadEnv()
  await testPayload()
  // Anything printed outside the logger (a library's console output) is scanned as well.
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '))
    })
  }
})

afterAll(async () => {
  vi.restoreAllMocks()
  const keys = await redis().keys(`${botKeyPrefix()}*`)
  for (let i = 0; i < keys.length; i += 500) await redis().del(...keys.slice(i, i + 500))
  await closeRedis()
  await fake?.close()
  process.env = savedEnv
  reloadEnv()
})

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage() {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('webhook fuzz', () => {
  it(`answers ${RUNS} generated malformed updates without a 5xx, a leaked secret or unbounded memory`, async () => {
    const statuses = new Map<number, number>()
    // Heap compared after a full collection on both sides: what is left is what the updates kept,
    // not garbage a faster run had no time to collect.
    collectGarbage()
    const before = process.memoryUsage()
    let peakRss = before.rss
    let peakHeap = before.heapUsed
    let requests = 0
    const started = performance.now()

    await fc.assert(
      fc.asyncProperty(cases, async ({ body, secret }) => {
        const response = await POST(webhookRequest(body, secret ? SECRET : undefined))
        await response.arrayBuffer()
        requests++
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
        if (requests % 100 === 0) {
          // The fake Bot API records every call in this process: forget them as we go.
          fake.clear()
          const now = process.memoryUsage()
          peakRss = Math.max(peakRss, now.rss)
          peakHeap = Math.max(peakHeap, now.heapUsed)
        }
        expect(response.status, body.slice(0, 500)).toBeLessThan(500)
      }),
      { numRuns: RUNS, endOnFailure: true },
    )

    collectGarbage()
    const after = process.memoryUsage()
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
    const figures = {
      requests,
      seconds: Math.round((performance.now() - started) / 1000),
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
      rssMb: { before: mb(before.rss), peak: mb(peakRss), after: mb(after.rss) },
      heapMb: { before: mb(before.heapUsed), peak: mb(peakHeap), after: mb(after.heapUsed) },
    }
    process.stdout.write(`webhook fuzz: ${JSON.stringify(figures)}\n`)

    expect(requests).toBe(RUNS)
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([])
    // Every kind of answer was reached: handled, refused as not an update, unauthorised, too large.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 401, 413]))
    // Bounded: at most one 2 MB body is held at a time, and nothing accumulates per update.
    expect(mb(peakRss)).toBeLessThan(mb(before.rss) + 400)
    expect(mb(after.heapUsed)).toBeLessThan(mb(before.heapUsed) + 150)

    const logged = readFileSync(logFile, 'utf8')
    const everything = `${logged}\n${printed.join('\n')}`
    expect(logged.length).toBeGreaterThan(0)
    for (const secret of [TOKEN, TOKEN.split(':')[1], SECRET, process.env.PAYLOAD_SECRET!, process.env.CREDENTIALS_ENCRYPTION_KEY!, process.env.AI_API_KEY!])
      expect(everything.includes(secret), `a secret (${secret.length} characters) was logged`).toBe(false)
    expect(everything).not.toMatch(/\d+:[A-Za-z0-9_-]{35}/)
  }, 600_000)
})
