import { randomInt } from 'node:crypto'
import { createServer } from 'node:net'

import { sql } from '@payloadcms/db-postgres'
import { Logger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { touchLastSeen } from '../../src/accounts/lastSeen'
import { generateJson } from '../../src/ai/call'
import { logger } from '../../src/lib/logger'
import { z } from 'zod'
import { GET as metricsRoute } from '../../src/app/api/metrics/route'
import { POST as telegramRoute } from '../../src/app/api/telegram/route'
import { reloadEnv } from '../../src/lib/env'
import { databaseScope, redis } from '../../src/lib/redis'
import { recordWebhook, webhookStats } from '../../src/lib/telemetry'
import { fakeAiEnv, startFakeOpenAI } from '../fakes/openai'
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest } from '../helpers/rest'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'
import { startWorker, type WorkerProcess } from '../helpers/workerProcess'
import { nextUpdateId, webhookRequest } from './bot-harness'

/**
 * What Prometheus scrapes, parsed as the text exposition format (names, TYPE lines, labels,
 * values): the web app's /api/metrics and the worker's own port, both behind the metrics token;
 * the webhook rollup the admin dashboard reads; and accounts' lastSeenAt, written at most once a
 * minute.
 */
const TOKEN = 'obs-metrics-token-0123456789'
const SECRET = 'obs-metrics-secret-0123456789'
const SCHEMA = 'pf_test_observability_metrics'
const savedEnv = { ...process.env }
let fake: FakeTelegram
let payload: Payload
let worker: WorkerProcess | undefined
let utils: WorkerUtils

type Sample = { name: string; labels: Record<string, string>; value: number }
type Scrape = { types: Map<string, string>; samples: Sample[] }

/** The Prometheus text format (version 0.0.4): `# TYPE name kind` and `name{l="v",...} value` lines. */
function parsePrometheus(text: string): Scrape {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const type = line.match(/^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/)
    if (type) {
      expect(types.has(type[1]), `TYPE of ${type[1]} given twice`).toBe(false)
      types.set(type[1], type[2])
      continue
    }
    if (line.startsWith('#')) continue
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/)
    expect(sample, `not a sample line: ${line}`).not.toBeNull()
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    samples.push({ name: sample![1], labels, value: Number(sample![3]) })
  }
  return { types, samples }
}

/** The sum of a metric's samples whose labels include `labels`. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0)
}

async function scrapeWeb(authorization = `Bearer ${TOKEN}`): Promise<{ status: number; scrape?: Scrape; type?: string | null }> {
  const response = await metricsRoute(new Request('http://localhost:3000/api/metrics', { headers: authorization ? { authorization } : {} }))
  if (response.status !== 200) return { status: response.status }
  return { status: 200, scrape: parsePrometheus(await response.text()), type: response.headers.get('content-type') }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  fake = await startFakeTelegram()
  Object.assign(process.env, {
    METRICS_TOKEN: TOKEN,
    TELEGRAM_BOT_TOKEN: `${FAKE_BOT.id}:${'M'.repeat(35)}`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.url,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  payload = await testPayload()
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: new Logger(() => () => {}) })
})

afterAll(async () => {
  await worker?.term()
  await utils?.release()
  await fake?.close()
  process.env = savedEnv
  reloadEnv()
})

describe('/api/metrics (web)', () => {
  it('answers 401 without the token or with a wrong one', async () => {
    expect((await scrapeWeb('')).status).toBe(401)
    expect((await scrapeWeb(`Bearer ${TOKEN}x`)).status).toBe(401)
    expect((await scrapeWeb(TOKEN)).status).toBe(401)
  })

  it('is Prometheus text with the process metrics and the business figures; updates, requests and the pool show up', async () => {
    const before = await scrapeWeb()
    expect(before.status).toBe(200)
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const b = before.scrape!
    for (const [name, kind] of [
      ['postforge_http_request_duration_seconds', 'histogram'],
      ['postforge_webhook_duration_seconds', 'histogram'],
      ['postforge_bot_updates_total', 'counter'],
      ['postforge_bot_errors_total', 'counter'],
      ['postforge_rate_limited_total', 'counter'],
      ['postforge_jobs_total', 'counter'],
      ['postforge_job_duration_seconds', 'histogram'],
      ['postforge_ai_calls_total', 'counter'],
      ['postforge_ai_tokens_total', 'counter'],
      ['postforge_ai_cost_usd_total', 'counter'],
      ['postforge_publications_total', 'counter'],
      ['postforge_db_pool_connections', 'gauge'],
      ['postforge_queue_depth', 'gauge'],
      ['postforge_queue_oldest_due_seconds', 'gauge'],
      ['process_resident_memory_bytes', 'gauge'],
      // Today's business figures are still there.
      ['postforge_articles', 'gauge'],
      ['postforge_jobs', 'gauge'],
      ['postforge_worker_last_job_seconds', 'gauge'],
    ]) expect(b.types.get(name), name).toBe(kind)
    expect(value(b, 'postforge_db_pool_connections', { pool: 'payload', state: 'total' })).toBeGreaterThan(0)
    expect(b.samples.filter((s) => s.name === 'postforge_queue_depth').map((s) => s.labels.state).sort()).toEqual(['failed', 'queued', 'running', 'stuck'])

    // A real update through the webhook route, and a REST call through Payload's route.
    const userId = randomInt(100_000_000, 2_000_000_000)
    const update = {
      update_id: nextUpdateId(),
      message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: userId, type: 'private', first_name: 'M' }, from: { id: userId, is_bot: false, first_name: 'M', language_code: 'en' }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
    }
    expect((await telegramRoute(webhookRequest(update, SECRET))).status).toBe(200)
    expect((await telegramRoute(webhookRequest(update, SECRET))).status).toBe(200)
    const t = await createTenant(payload)
    expect((await rest('GET', '/projects', { auth: t.auth })).status).toBe(200)

    const after = (await scrapeWeb()).scrape!
    expect(value(after, 'postforge_bot_updates_total', { type: 'message', outcome: 'ok' }) - value(b, 'postforge_bot_updates_total', { type: 'message', outcome: 'ok' })).toBe(1)
    expect(value(after, 'postforge_bot_updates_total', { type: 'message', outcome: 'duplicate' }) - value(b, 'postforge_bot_updates_total', { type: 'message', outcome: 'duplicate' })).toBe(1)
    expect(value(after, 'postforge_webhook_duration_seconds_count', { outcome: 'ok' }) - value(b, 'postforge_webhook_duration_seconds_count', { outcome: 'ok' })).toBe(1)
    expect(value(after, 'postforge_http_request_duration_seconds_count', { route: '/api/telegram', method: 'POST', status: '2xx' }) - value(b, 'postforge_http_request_duration_seconds_count', { route: '/api/telegram', method: 'POST', status: '2xx' })).toBe(2)
    expect(value(after, 'postforge_http_request_duration_seconds_count', { route: '/api/[...slug]', method: 'GET', status: '2xx' })).toBeGreaterThan(value(b, 'postforge_http_request_duration_seconds_count', { route: '/api/[...slug]', method: 'GET', status: '2xx' }))
    // Histogram buckets are cumulative and end at +Inf = count.
    const inf = after.samples.find((s) => s.name === 'postforge_webhook_duration_seconds_bucket' && s.labels.outcome === 'ok' && s.labels.le === '+Inf')!
    expect(inf.value).toBe(value(after, 'postforge_webhook_duration_seconds_count', { outcome: 'ok' }))
  })
})

describe('AI calls', () => {
  it('are counted by model, task and outcome, with tokens and cost, the fallback included', async () => {
    const ai = await startFakeOpenAI()
    const saved = { ...process.env }
    try {
      Object.assign(process.env, fakeAiEnv(ai, 'openai-compatible'), { AI_PRICES: JSON.stringify({ 'test/fallback': { input: 1000, output: 2000 } }) })
      reloadEnv()
      ai.setModel('test/primary', { dead: 500 })
      const t = await createTenant(payload)
      const before = (await scrapeWeb()).scrape!
      const Faq = z.object({ items: z.array(z.object({ question: z.string(), answer: z.string() })).min(1) })
      await generateJson('article.faq', { payload, log: logger(), scope: { accountId: t.account.id, projectId: t.project.id, jobKey: `obs-ai-${Date.now()}` } }, { system: 'FAQ', prompt: 'Кофе' }, Faq)
      const after = (await scrapeWeb()).scrape!
      const moved = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels)
      expect(moved('postforge_ai_calls_total', { model: 'test/primary', task: 'article.faq', outcome: 'error' })).toBe(1)
      expect(moved('postforge_ai_calls_total', { model: 'test/fallback', task: 'article.faq', outcome: 'ok' })).toBe(1)
      expect(moved('postforge_ai_tokens_total', { model: 'test/fallback', task: 'article.faq', direction: 'output' })).toBeGreaterThan(0)
      expect(moved('postforge_ai_tokens_total', { model: 'test/fallback', task: 'article.faq', direction: 'input' })).toBeGreaterThan(0)
      expect(moved('postforge_ai_cost_usd_total', { model: 'test/fallback', task: 'article.faq' })).toBeGreaterThan(0)
    } finally {
      await ai.close()
      process.env = saved
      reloadEnv()
    }
  })
})

describe('the worker metrics port', () => {
  it('serves the worker registry behind the same token; jobs are counted by task and outcome', async () => {
    const port = await freePort()
    worker = startWorker({ GRAPHILE_WORKER_SCHEMA: SCHEMA, WORKER_METRICS_PORT: String(port), METRICS_TOKEN: TOKEN })
    const url = `http://127.0.0.1:${port}/metrics`
    await waitFor(() => fetch(url).then((r) => r.status === 401, () => false))
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } })).status).toBe(401)
    const scrape = async () => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(response.status).toBe(200)
      return parsePrometheus(await response.text())
    }
    const before = await scrape()
    expect(before.types.get('postforge_jobs_total')).toBe('counter')
    expect(before.types.get('postforge_queue_depth')).toBe('gauge')
    const heartbeatsBefore = value(before, 'postforge_jobs_total', { task: 'worker.heartbeat', outcome: 'ok' })
    await utils.addJob('worker.heartbeat', {}, { jobKey: 'worker.heartbeat', jobKeyMode: 'replace', maxAttempts: 1 })
    const after = await waitFor(async () => {
      const s = await scrape()
      return value(s, 'postforge_jobs_total', { task: 'worker.heartbeat', outcome: 'ok' }) > heartbeatsBefore ? s : null
    })
    expect(value(after, 'postforge_job_duration_seconds_count', { task: 'worker.heartbeat', outcome: 'ok' })).toBeGreaterThan(0)
    expect(value(after, 'postforge_db_pool_connections', { pool: 'payload', state: 'total' })).toBeGreaterThan(0)
  }, LONG_TEST_TIMEOUT_MS)
})

describe('webhook latency rollup (for the admin dashboard)', () => {
  it('p50, p99, error rate and hourly figures over the last hours, from per-minute buckets in Redis with a 25-hour expiry', async () => {
    // A fixed hour far from now, so other tests' webhooks do not count.
    const base = Date.UTC(2031, 0, 15, 10, 0, 0) + randomInt(0, 1000) * 3_600_000 * 48
    for (let i = 0; i < 98; i++) await recordWebhook(40, false, base + 5 * 60_000)
    await recordWebhook(900, true, base + 70 * 60_000)
    await recordWebhook(20_000, true, base + 71 * 60_000)
    const stats = await webhookStats({ hours: 2, now: base + 90 * 60_000 })
    expect(stats).toMatchObject({ count: 100, errors: 2, errorRate: 0.02, p50Ms: 50, p99Ms: 1000 })
    expect(stats.perHour).toEqual([
      { hour: new Date(base).toISOString(), count: 98, errors: 0, p50Ms: 50, p99Ms: 50 },
      { hour: new Date(base + 3_600_000).toISOString(), count: 2, errors: 2, p50Ms: 1000, p99Ms: 30000 },
    ])
    const ttl = await redis().ttl(`pf:webhook:${databaseScope()}:${Math.floor((base + 5 * 60_000) / 60_000)}`)
    expect(ttl).toBeGreaterThan(24 * 3600)
    expect(ttl).toBeLessThanOrEqual(25 * 3600)
    // An empty window says so.
    expect(await webhookStats({ hours: 1, now: base - 10 * 3_600_000 })).toMatchObject({ count: 0, errorRate: 0, p50Ms: null, p99Ms: null })
  })
})

describe('accounts.lastSeenAt', () => {
  const seenAt = async (id: number) =>
    ((await payload.db.drizzle.execute(sql`select last_seen_at from accounts where id = ${id}`)).rows[0] as { last_seen_at: string | Date | null }).last_seen_at

  it('is written at most once a minute per account, whatever touches it (bot updates, API-key requests)', async () => {
    const t = await createTenant(payload)
    expect(await seenAt(t.account.id)).toBeNull()
    const first = new Date(Date.now() - 5 * 60_000)
    expect(await touchLastSeen(payload, redis(), t.account.id, first)).toBe(true)
    expect(new Date((await seenAt(t.account.id))!).toISOString()).toBe(first.toISOString())
    // Within the minute: no write, whoever asks (an API-key request included).
    expect(await touchLastSeen(payload, redis(), t.account.id, new Date(first.getTime() + 30_000))).toBe(false)
    expect((await rest('GET', '/projects', { auth: t.auth })).status).toBe(200)
    expect(new Date((await seenAt(t.account.id))!).toISOString()).toBe(first.toISOString())
    // A minute later (the gate's key expired) the next request writes it again.
    await redis().del(`pf:seen:${databaseScope()}:${t.account.id}`)
    expect((await rest('GET', '/projects', { auth: t.auth })).status).toBe(200)
    const second = new Date((await seenAt(t.account.id))!)
    expect(second.getTime()).toBeGreaterThan(first.getTime())
    expect(Date.now() - second.getTime()).toBeLessThan(60_000)
  })

  it('a bot update of a known account records it once a minute; staff read it, the customer cannot set it', async () => {
    const t = await createTenant(payload)
    await payload.db.drizzle.execute(sql`update accounts set verified_human_at = now() where id = ${t.account.id}`)
    const from = { id: t.account.telegramId, is_bot: false, first_name: 'S', language_code: 'en' }
    const send = (text: string) =>
      telegramRoute(webhookRequest({ update_id: nextUpdateId(), message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: from.id, type: 'private', first_name: 'S' }, from, text } }, SECRET))
    expect((await send('hello')).status).toBe(200)
    const first = await seenAt(t.account.id)
    expect(first).not.toBeNull()
    expect((await send('again')).status).toBe(200)
    expect(await seenAt(t.account.id)).toEqual(first)
    const staffView = await payload.findByID({ collection: 'accounts', id: t.account.id })
    expect(staffView.lastSeenAt).toBeTruthy()
    const refused = await rest('PATCH', `/accounts/${t.account.id}`, { auth: t.auth, body: { lastSeenAt: '2020-01-01T00:00:00.000Z' } })
    expect(refused.status).toBe(403)
    const own = await rest('GET', `/accounts/${t.account.id}`, { auth: t.auth })
    expect(own.json.lastSeenAt).toBeUndefined()
  })
})
