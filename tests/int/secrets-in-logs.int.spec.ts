import { randomBytes, randomInt } from 'node:crypto'
import { Console } from 'node:console'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'

import { BotError, Context } from 'grammy'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { GET as metrics } from '../../src/app/api/metrics/route'
import { POST as webhook } from '../../src/app/api/telegram/route'
import { createBot } from '../../src/bot/bot'
import { reloadEnv } from '../../src/lib/env'
import { createLogger, scrubConsole } from '../../src/lib/logger'
import { closeRedis, redis } from '../../src/lib/redis'
import { resetTelegramClient } from '../../src/telegram/client'
import { publishOne } from '../../src/publishing/publish'
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { startFakeWordpress } from '../fakes/wordpress'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest } from '../helpers/rest'
import { webhookRequest } from './bot-harness'

/**
 * Known secrets are configured, then the bot (webhook), REST (sign-in, API keys, connections with
 * credentials) and the worker's publishing run, failures included; nothing any of them logs (the
 * one logger, Payload's logger, which is the same, and anything printed to the console) may
 * contain a secret.
 */
const secrets = vi.hoisted(() => {
  const random = (n: number) =>
    Array.from({ length: n }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'[Math.floor(Math.random() * 56)]).join('')
  const values = {
    TELEGRAM_BOT_TOKEN: `7222222222:${random(35)}`,
    TELEGRAM_WEBHOOK_SECRET: `hook_${random(30)}`,
    METRICS_TOKEN: `metrics_${random(30)}`,
    AI_API_KEY: `sk-or-v1-${random(40)}`,
    PINTEREST_CLIENT_SECRET: `pin_${random(30)}`,
  }
  Object.assign(process.env, values)
  process.env.LOG_FILE = `${process.cwd()}/.data/test-logs/secrets-${process.pid}-${Date.now()}.log`
  process.env.LOG_LEVEL = 'debug'
  return { ...values, logFile: process.env.LOG_FILE }
})

const savedEnv = { ...process.env }
const printed: string[] = []
let payload: Payload
let fake: FakeTelegram
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
let tenant: Tenant
/** Secrets the flows below create on the way: passwords, API keys, JWTs, credentials. */
const made: Record<string, string> = {}

const logged = () => readFileSync(secrets.logFile, 'utf8')

beforeAll(async () => {
  fake = await startFakeTelegram()
  wp = await startFakeWordpress({ password: `wp ${randomBytes(6).toString('hex')} pass` })
  Object.assign(process.env, { TELEGRAM_API_ROOT: fake.url, FETCH_ALLOW_PRIVATE: 'true', PUBLISH_HTTP_TIMEOUT_MS: '2000' })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  tenant = await createTenant(payload, { name: 'Secrets' })
  made.apiKey = tenant.apiKey
  made.wordpressPassword = wp.password
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '))
    })
  }
})

afterAll(async () => {
  vi.restoreAllMocks()
  await closeRedis()
  await fake?.close()
  await wp?.close()
  process.env = savedEnv
  reloadEnv()
})

function expectNoSecret(text: string, extra: Record<string, string> = {}) {
  const all: Record<string, string> = {
    ...made,
    ...extra,
    TELEGRAM_BOT_TOKEN: secrets.TELEGRAM_BOT_TOKEN,
    'the token without its id': secrets.TELEGRAM_BOT_TOKEN.split(':')[1],
    TELEGRAM_WEBHOOK_SECRET: secrets.TELEGRAM_WEBHOOK_SECRET,
    METRICS_TOKEN: secrets.METRICS_TOKEN,
    AI_API_KEY: secrets.AI_API_KEY,
    PINTEREST_CLIENT_SECRET: secrets.PINTEREST_CLIENT_SECRET,
    PAYLOAD_SECRET: process.env.PAYLOAD_SECRET!,
    CREDENTIALS_ENCRYPTION_KEY: process.env.CREDENTIALS_ENCRYPTION_KEY!,
  }
  for (const [name, value] of Object.entries(all)) expect(text.includes(value), `${name} was logged`).toBe(false)
  expect(text).not.toMatch(/\d+:[A-Za-z0-9_-]{35}/)
}

describe('the logger', () => {
  function capture() {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    return { log: createLogger({ level: 'trace', destination }), text: () => lines.join('') }
  }

  it('removes secret values and bot tokens from messages, error messages and stacks, escaped or not', () => {
    process.env.SMTP_PASSWORD = 'mail "quoted" \\ secret'
    try {
      const { log, text } = capture()
      const stranger = `5555555555:${'Z'.repeat(35)}`
      const error = new Error(`request to https://api.telegram.org/bot${secrets.TELEGRAM_BOT_TOKEN}/getMe failed`)
      error.stack = `${error.stack}\n    secret ${secrets.TELEGRAM_WEBHOOK_SECRET}`
      log.error({ err: error, note: `key ${secrets.AI_API_KEY}`, other: stranger }, `metrics ${secrets.METRICS_TOKEN}`)
      log.info({ smtp: process.env.SMTP_PASSWORD }, 'mail configured')
      expectNoSecret(text(), { SMTP_PASSWORD: process.env.SMTP_PASSWORD, 'a foreign bot token': stranger })
      expect(text()).not.toContain('quoted')
      expect(text()).toContain('[redacted]')
      expect(text()).toContain('getMe failed')
    } finally {
      delete process.env.SMTP_PASSWORD
    }
  })

  it('censors secret-named fields at any depth of a logged error (an HTTP client\'s request, say)', () => {
    const { log, text } = capture()
    const error = Object.assign(new Error('401 from the site'), {
      response: { status: 401, config: { headers: { Authorization: 'Basic d3A6c2VjcmV0LXBhc3M=', 'X-Api-Key': 'k-123456789' } } },
      request: { body: { credentials: { applicationPassword: 'abcd efgh ijkl mnop' }, refresh_token: 'r-123456789' } },
    })
    log.error({ err: error }, 'publish failed')
    expect(text()).toContain('401 from the site')
    expect(text()).toContain('"status":401')
    for (const value of ['d3A6c2VjcmV0LXBhc3M=', 'k-123456789', 'abcd efgh ijkl mnop', 'r-123456789']) expect(text()).not.toContain(value)
  })

  it('never writes a grammY context: a BotError is logged without ctx and its api', () => {
    const { log, text } = capture()
    const bot = createBot({ token: secrets.TELEGRAM_BOT_TOKEN, payload, redis: redis(), botInfo: FAKE_BOT })
    const ctx = new Context({ update_id: 1 }, bot.api, FAKE_BOT)
    log.error({ err: new BotError(new Error('boom'), ctx) }, 'update failed')
    log.warn({ ctx, api: bot.api }, 'careless call')
    expect(text()).toContain('boom')
    expect(text()).not.toContain('"raw"')
    expectNoSecret(text())
  })

  it('what Next prints through the console (a route error with a grammY context) is scrubbed too', async () => {
    const printed: string[] = []
    const target = new Console({
      stdout: new Writable({ write: (chunk, _e, done) => (printed.push(String(chunk)), done()) }),
      stderr: new Writable({ write: (chunk, _e, done) => (printed.push(String(chunk)), done()) }),
    })
    // What the web process runs at start (src/instrumentation.ts), on a console of our own.
    scrubConsole(target)
    const bot = createBot({ token: secrets.TELEGRAM_BOT_TOKEN, payload, redis: redis(), botInfo: FAKE_BOT })
    const ctx = new Context({ update_id: 1 }, bot.api, FAKE_BOT)
    target.error('⨯ unhandled error in route', new BotError(new Error('boom'), ctx))
    target.warn({ settings: { PAYLOAD_SECRET: process.env.PAYLOAD_SECRET! } })
    target.log(`connecting with ${process.env.CREDENTIALS_ENCRYPTION_KEY!}`)
    expect(printed.join('')).toContain('boom')
    expectNoSecret(printed.join(''))
  })
})

describe('what the product logs', () => {
  it('keeps every secret out while the bot, REST and the worker run, failures included', async () => {
    const before = logged().length

    // The bot, through the webhook: a customer starting, a wrong answer, a poison update, a
    // failing Bot API call, forged secret tokens.
    const user = randomInt(100_000_000, 2_000_000_000)
    const from = { id: user, is_bot: false, first_name: 'Log', language_code: 'ru' }
    const chat = { id: user, type: 'private', first_name: 'Log' }
    let updateId = randomInt(1_000_000, 1_000_000_000)
    const send = (extra: Record<string, unknown>, secret = secrets.TELEGRAM_WEBHOOK_SECRET) =>
      webhook(webhookRequest({ update_id: ++updateId, ...extra }, secret))
    const message = (text: string, withSender = true) => ({
      message: {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat,
        ...(withSender ? { from } : {}),
        text,
        ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.length }] } : {}),
      },
    })
    expect((await send(message('/start'))).status).toBe(200)
    expect((await send({ callback_query: { id: 'cq1', from, chat_instance: 'x', data: 'cap:99', message: { message_id: 1, date: 1, chat, text: 'x' } } })).status).toBe(200)
    expect((await send(message('no sender', false))).status).toBe(200)
    fake.fail('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' })
    expect((await send(message('/help'))).status).toBe(200)
    expect((await send(message('/help'), `${secrets.TELEGRAM_WEBHOOK_SECRET}x`)).status).toBe(401)
    // The Bot API unreachable: grammY's network error names the URL, token included.
    const offline = createBot({ token: secrets.TELEGRAM_BOT_TOKEN, payload, redis: redis(), apiRoot: 'http://127.0.0.1:9', botInfo: FAKE_BOT })
    await offline.handleUpdate({ update_id: ++updateId, ...message('/help') } as never).catch(() => {})

    // REST: staff sign-in (right and wrong password), the JWT in use, a customer's API key,
    // connections created with credentials (valid and not).
    const staff = await createStaff(payload, ['admin'])
    made.staffPassword = 'correct horse battery staple'
    const login = await rest('POST', '/users/login', { body: { email: staff.user.email, password: made.staffPassword } })
    expect(login.status).toBe(200)
    made.jwt = login.json.token
    expect((await rest('POST', '/users/login', { body: { email: staff.user.email, password: 'wrong horse battery staple' } })).status).toBe(401)
    expect((await rest('GET', '/users/me', { auth: { token: made.jwt } })).status).toBe(200)
    expect((await rest('GET', '/projects', { auth: tenant.auth })).status).toBe(200)
    made.vkToken = `vk1.a.${randomBytes(24).toString('hex')}`
    const vk = await rest('POST', '/connections', {
      auth: tenant.auth,
      body: { displayName: 'VK', platform: 'vk', project: tenant.project.id, credentials: { groupId: 42, accessToken: made.vkToken } },
    })
    expect(vk.status).toBe(201)
    const refused = await rest('POST', '/connections', {
      auth: tenant.auth,
      body: { displayName: 'Bad', platform: 'wordpress', project: tenant.project.id, credentials: { siteUrl: 'nope', username: 'x', applicationPassword: made.wordpressPassword } },
    })
    expect(refused.status).toBe(422)
    const blog = await rest('POST', '/connections', {
      auth: tenant.auth,
      body: { displayName: 'Blog', platform: 'wordpress', project: tenant.project.id, credentials: { siteUrl: `${wp.url}/`, username: wp.username, applicationPassword: made.wordpressPassword } },
    })
    expect(blog.status).toBe(201)
    made.wrongWordpressPassword = `wrong ${randomBytes(6).toString('hex')}`
    const broken = await payload.create({
      collection: 'connections',
      data: { displayName: 'Broken', platform: 'wordpress', project: tenant.project.id, credentials: { siteUrl: `${wp.url}/`, username: wp.username, applicationPassword: made.wrongWordpressPassword } } as never,
    })

    // Metrics with the right and a wrong token.
    expect((await metrics(new Request('http://localhost:3000/api/metrics', { headers: { authorization: `Bearer ${secrets.METRICS_TOKEN}` } }))).status).toBe(200)
    expect((await metrics(new Request('http://localhost:3000/api/metrics', { headers: { authorization: secrets.METRICS_TOKEN } }))).status).toBe(401)

    // The worker's publishing: one that succeeds, one refused by the site (wrong password).
    const editor = await createStaff(payload, ['editor'])
    const outcomes = []
    for (const connection of [blog.json.doc.id, broken.id]) {
      const article = await payload.create({
        collection: 'articles',
        data: { title: `Secrets ${connection}`, project: tenant.project.id, workflowStatus: 'in_review', body: lexical('Текст.') } as never,
      })
      await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
      const publication = await payload.create({
        collection: 'publications',
        data: { project: tenant.project.id, connection, article: article.id, plannedAt: new Date().toISOString() } as never,
      })
      outcomes.push((await publishOne(payload, publication.id)).result)
    }
    expect(outcomes[0]).toBe('published')
    expect(outcomes[1]).not.toBe('published')

    const text = logged().slice(before)
    // The flows did log (errors with stacks among them), and none of it holds a secret.
    expect(text).toMatch(/"level":50/)
    expect(text).toContain('update failed')
    expectNoSecret(text)
    expectNoSecret(printed.join('\n'))
  })
})
