import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'

import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { GET as health } from '../../src/app/api/health/route'
import { POST } from '../../src/app/api/telegram/route'
import { botKeyPrefix, createBot } from '../../src/bot/bot'
import { handleUntilDelivered } from '../../src/bot/delivery'
import { tr } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { isOutage } from '../../src/lib/outage'
import { closeRedis, redis } from '../../src/lib/redis'
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { ADMIN_DATABASE_URL } from '../helpers/database'
import { testPayload } from '../helpers/payload'
import { timeLeft, waitFor } from '../helpers/wait'
import { nextUpdateId, TOKEN, webhookRequest } from './bot-harness'

/**
 * Real outages, for this process only: a Redis server of its own that the tests stop and start,
 * and PostgreSQL reached through a TCP proxy that the tests cut (connections reset, new ones
 * refused) and restore, so the machine's shared servers and the other test files are untouched.
 */
const ports = vi.hoisted(() => {
  const redisPort = 16_000 + (process.pid % 2_000)
  const pgPort = 26_000 + (process.pid % 2_000)
  const application = `pf_outage_${process.pid}`
  const url = new URL(process.env.DATABASE_URL!)
  url.port = String(pgPort)
  url.searchParams.set('application_name', application)
  process.env.DATABASE_URL = url.toString()
  process.env.REDIS_URL = `redis://127.0.0.1:${redisPort}`
  process.env.LOG_FILE = `${process.cwd()}/.data/test-logs/outage-${process.pid}-${Date.now()}.log`
  process.env.LOG_LEVEL = 'info'
  return { redisPort, pgPort, application, logFile: process.env.LOG_FILE }
})

const SECRET = 'outage-secret-0123456789_abc'
const savedEnv = { ...process.env }
let fake: FakeTelegram

let redisUp = false
function startRedis() {
  if (redisUp) return
  execFileSync('redis-server', ['--port', String(ports.redisPort), '--save', '', '--appendonly', 'no', '--daemonize', 'yes'])
  redisUp = true
}
function stopRedis() {
  if (!redisUp) return
  execFileSync('redis-cli', ['-p', String(ports.redisPort), 'shutdown', 'nosave'])
  redisUp = false
}

/** PostgreSQL as this process sees it: a proxy that can be cut and restored. */
const sockets = new Set<net.Socket>()
let proxy: net.Server | undefined
/** 'cut': connections reach nothing and hang, as behind a dropped network link. */
let proxyMode: 'forward' | 'cut' = 'forward'
function startPostgres(): Promise<void> {
  if (proxy) return Promise.resolve()
  proxyMode = 'forward'
  proxy = net.createServer((client) => {
    if (proxyMode === 'cut') {
      sockets.add(client)
      client.on('error', () => client.destroy())
      client.on('close', () => sockets.delete(client))
      return
    }
    const server = net.connect(5432, '127.0.0.1')
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('error', () => {
        client.destroy()
        server.destroy()
      })
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(server).pipe(client)
  })
  return new Promise((resolve) => proxy!.listen(ports.pgPort, '127.0.0.1', resolve))
}
/** The link drops: open connections die, new ones are accepted and never answered. */
function cutPostgres() {
  proxyMode = 'cut'
  for (const socket of sockets) socket.destroy()
}
function stopPostgres(): Promise<void> {
  const server = proxy
  if (!server) return Promise.resolve()
  proxy = undefined
  for (const socket of sockets) socket.destroy()
  return new Promise((resolve) => server.close(() => resolve()))
}

function update(user: number, text: string) {
  const from = { id: user, is_bot: false, first_name: 'Outage', language_code: 'en' }
  return {
    update_id: nextUpdateId(),
    message: {
      message_id: randomInt(1, 1_000_000),
      date: Math.floor(Date.now() / 1000),
      chat: { id: user, type: 'private', first_name: 'Outage' },
      from,
      text,
      ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.length }] } : {}),
    },
  }
}

async function post(body: unknown): Promise<{ status: number; ms: number; body: any }> {
  const started = performance.now()
  const response = await POST(webhookRequest(body, SECRET))
  const ms = performance.now() - started
  const text = await response.text()
  return { status: response.status, ms, body: text ? JSON.parse(text) : null }
}

async function healthNow(): Promise<{ status: number; ms: number; body: any }> {
  const started = performance.now()
  const response = await health(new Request('http://localhost:3000/api/health'))
  return { status: response.status, ms: performance.now() - started, body: await response.json() }
}

/** Gives `fn`'s value once `ok`, or its last one when the test's time is nearly up (the caller asserts on it). */
async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, ms = timeLeft()): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await fn()
    if (ok(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** A customer who passed /start and the human check, made directly as the system would. */
async function customer() {
  const payload = await testPayload()
  const telegramId = randomInt(100_000_000, 2_000_000_000)
  await payload.create({
    collection: 'accounts',
    data: {
      telegramId,
      displayName: 'Outage',
      language: 'en',
      timezone: 'Europe/Moscow',
      plan: 'free',
      status: 'active',
      verifiedHumanAt: new Date().toISOString(),
    },
    overrideAccess: true,
  })
  return telegramId
}

const sentTo = (chat: number) => fake.callsTo('sendMessage', chat).map((c) => String(c.params.text))

beforeAll(async () => {
  startRedis()
  await startPostgres()
  fake = await startFakeTelegram()
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url })
  reloadEnv()
  await testPayload()
})

// A failed assertion must not leave the next test without its servers.
afterEach(async () => {
  startRedis()
  await startPostgres()
})

afterAll(async () => {
  await closeRedis()
  stopRedis()
  await fake?.close()
  await stopPostgres()
  process.env = savedEnv
  reloadEnv()
})

describe('what counts as an outage', () => {
  it('is PostgreSQL or Redis unreachable, ending or too slow, however wrapped; never a fault of the update or the Bot API', async () => {
    const coded = (message: string, code: string) => Object.assign(new Error(message), { code })
    const wrapped = (cause: Error) => new Error('Failed query: select 1', { cause })
    const outages = [
      coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      coded('terminating connection due to administrator command', '57P01'),
      coded('the database system is starting up', '57P03'),
      coded('sorry, too many clients already', '53300'),
      wrapped(new Error('Connection terminated unexpectedly')),
      wrapped(new Error('timeout exceeded when trying to connect')),
      new Error('Command timed out'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }),
      new AggregateError([coded('connect ECONNREFUSED ::1:6379', 'ECONNREFUSED')]),
    ]
    for (const error of outages) expect(isOutage(error), error.message).toBe(true)

    const faults = [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      wrapped(coded('invalid input syntax for type numeric: "undefined"', '22P02')),
      coded('duplicate key value violates unique constraint', '23505'),
      Object.assign(new Error("Network request for 'sendMessage' failed!"), {
        name: 'HttpError',
        error: coded('request to https://api.telegram.org failed', 'ECONNREFUSED'),
      }),
      null,
      'ECONNREFUSED',
    ]
    for (const error of faults) expect(isOutage(error), String(error)).toBe(false)
  })
})

describe('Redis unavailable', () => {
  it('the webhook and health fail within about a second (health names Redis), and the update is handled once Redis is back', async () => {
    const user = await customer()
    expect((await post(update(user, '/help'))).status).toBe(200)
    expect(sentTo(user).at(-1)).toContain('How it works')

    stopRedis()
    const during = update(user, '/help')
    const sentBefore = sentTo(user).length
    const refused = await post(during)
    expect(refused.status).toBe(503)
    expect(refused.ms).toBeLessThan(1_500)
    const down = await healthNow()
    expect(down.status).toBe(503)
    expect(down.ms).toBeLessThan(1_500)
    expect(down.body.down).toEqual(['redis'])
    expect(sentTo(user)).toHaveLength(sentBefore)

    startRedis()
    const back = await eventually(healthNow, (h) => h.status === 200)
    expect(back.status).toBe(200)
    // Telegram delivers the refused update again: it is handled now, once.
    expect((await post(during)).status).toBe(200)
    expect(sentTo(user)).toHaveLength(sentBefore + 1)
    expect(sentTo(user).at(-1)).toContain('How it works')
    expect((await post(during)).body).toMatchObject({ duplicate: true })
  })
})

describe('PostgreSQL unavailable', () => {
  it('answers 503 with the update released and no apology, whether the account or the handler needed the database; both are handled when it is back', async () => {
    const known = await customer()
    // Its account is now cached in Redis: its next update fails in the handler, not the loader.
    expect((await post(update(known, '/projects'))).status).toBe(200)
    const stranger = randomInt(100_000_000, 2_000_000_000)
    const sentBefore = { known: sentTo(known).length, stranger: sentTo(stranger).length }

    await stopPostgres()
    const inHandler = update(known, '/projects')
    const inLoader = update(stranger, '/start')
    for (const pending of [inHandler, inLoader]) {
      const answer = await post(pending)
      expect(answer.status).toBe(503)
      expect(answer.ms).toBeLessThan(1_500)
      expect(await redis().exists(`${botKeyPrefix()}update:${pending.update_id}`)).toBe(0)
    }
    const down = await healthNow()
    expect(down.status).toBe(503)
    expect(down.ms).toBeLessThan(1_500)
    expect(down.body.down).toEqual(['database'])
    expect(sentTo(known)).toHaveLength(sentBefore.known)
    expect(sentTo(stranger)).toHaveLength(sentBefore.stranger)
    expect([...sentTo(known), ...sentTo(stranger)].filter((text) => String(text).startsWith('😔 Something went wrong on our side'))).toEqual([])

    await startPostgres()
    await eventually(healthNow, (h) => h.status === 200)
    expect((await post(inHandler)).status).toBe(200)
    expect((await post(inLoader)).status).toBe(200)
    expect(sentTo(known).length).toBeGreaterThan(sentBefore.known)
    expect(sentTo(stranger).length).toBeGreaterThan(sentBefore.stranger)
    expect([...sentTo(known), ...sentTo(stranger)].filter((text) => String(text).startsWith('😔 Something went wrong on our side'))).toEqual([])
  })

  it('answers 503 within a few seconds when PostgreSQL stops answering, instead of acknowledging the update after the webhook timeout', async () => {
    const user = await customer()
    expect((await post(update(user, '/projects'))).status).toBe(200)
    const sentBefore = sentTo(user).length
    cutPostgres()
    const pending = update(user, '/projects')
    const answer = await post(pending)
    expect(answer.status).toBe(503)
    expect(answer.ms).toBeLessThan(5_000)
    expect(await redis().exists(`${botKeyPrefix()}update:${pending.update_id}`)).toBe(0)
    const down = await healthNow()
    expect(down.status).toBe(503)
    expect(down.body.down).toEqual(['database'])
    expect(sentTo(user)).toHaveLength(sentBefore)

    await stopPostgres()
    await startPostgres()
    await eventually(healthNow, (h) => h.status === 200)
    expect((await post(pending)).status).toBe(200)
    expect(sentTo(user).length).toBeGreaterThan(sentBefore)
  })

  it('survives PostgreSQL ending its connections (a restart) and reconnects by itself', async () => {
    const user = await customer()
    expect((await post(update(user, '/projects'))).status).toBe(200)
    // The pool's idle clients: each one is dropped from the pool when it learns its backend is
    // gone (one checked out elsewhere learns on its next statement, not here).
    const pool = (await testPayload()).db.pool as unknown as pg.Pool
    const idle = pool.idleCount
    let dropped = 0
    const onRemove = () => {
      dropped += 1
    }
    pool.on('remove', onRemove)
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await admin.connect()
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [ports.application],
    )
    await admin.end()
    expect(rowCount).toBeGreaterThan(0)
    // Idle connections learn of it a moment later; the process must still be here and serving
    // once they all have, however long that takes on a busy machine.
    await waitFor(() => dropped >= idle).finally(() => pool.off('remove', onRemove))
    const answer = await eventually(() => post(update(user, '/projects')), (a) => a.status === 200)
    expect(answer.status).toBe(200)
    expect((await eventually(healthNow, (h) => h.status === 200)).status).toBe(200)
    expect(readFileSync(ports.logFile, 'utf8')).not.toContain(TOKEN)
  })
})

describe('a connection dying while it is checked out', () => {
  it('costs the statement that held it, never the process', async () => {
    const payload = await testPayload()
    const pool = payload.db.pool as unknown as pg.Pool
    // A transaction holds its client between statements: that is when a restart or a terminated
    // backend reaches a client the pool is not listening to.
    const held = await pool.connect()
    await held.query('begin')
    const { rows } = await held.query<{ pid: number }>('select pg_backend_pid() as pid')
    // Its connection's end, which comes after the FATAL message has been handled (or thrown). An
    // 'end' listener, unlike an 'error' one, does not stand in for the handler under test.
    let ended = false
    held.once('end', () => {
      ended = true
    })
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await admin.connect()
    await admin.query('select pg_terminate_backend($1)', [rows[0].pid])
    await admin.end()
    // The FATAL message arrives on the idle socket; with no listener Node throws it out of the
    // socket's data handler and the run fails with an unhandled error.
    await waitFor(() => ended)
    await expect(held.query('select 1')).rejects.toThrow()
    held.release(true)
    const found = await payload.find({ collection: 'projects', limit: 1, depth: 0 })
    expect(found.totalDocs).toBeGreaterThanOrEqual(0)
    const { rows: ok } = await pool.query<{ one: number }>('select 1 as one')
    expect(ok[0].one).toBe(1)
  })
})

describe('long polling', () => {
  it('holds an update met by an outage and handles it once Redis is back, without an apology', async () => {
    const user = await customer()
    const payload = await testPayload()
    const bot = createBot({ token: TOKEN, payload, redis: redis(), apiRoot: fake.url, botInfo: FAKE_BOT })
    const sentBefore = sentTo(user).length

    stopRedis()
    let done = false
    const delivery = handleUntilDelivered(bot, update(user, '/help') as never).then(() => {
      done = true
    })
    await new Promise((r) => setTimeout(r, 2_500))
    expect(done).toBe(false)
    expect(sentTo(user)).toHaveLength(sentBefore)

    startRedis()
    await delivery
    expect(sentTo(user)).toHaveLength(sentBefore + 1)
    expect(sentTo(user).at(-1)).toContain('How it works')
  })
})
