import { randomInt } from 'node:crypto'
import { createServer } from 'node:net'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { POST } from '../../src/app/api/telegram/route'
import { reloadEnv } from '../../src/lib/env'
import { flushTracing, initErrorTracking, startTracing, stopTracing } from '../../src/lib/telemetry'
import { startFakeOtlp, type FakeOtlp, type ReceivedSpan } from '../fakes/otlp'
import { startFakeSentry, type FakeSentry } from '../fakes/sentry'
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'
import { startWorker, type WorkerProcess } from '../helpers/workerProcess'
import { nextUpdateId, webhookRequest } from './bot-harness'

/**
 * One customer action is one trace, across processes: the webhook update (this process, as the
 * web app) → the publish job it queues (a real worker process) → the platform call, all exported
 * over OTLP/HTTP to a receiver that decodes what the exporter sends.
 */
const SCHEMA = 'pf_test_observability_traces'
const SECRET = 'obs-trace-secret-0123456789'
const savedEnv = { ...process.env }
let otlp: FakeOtlp
let sentry: FakeSentry
let fake: FakeTelegram
let payload: Payload
let t: Tenant
let worker: WorkerProcess | undefined

beforeAll(async () => {
  otlp = await startFakeOtlp()
  // Sentry is on in both processes: its SDK must not take the spans away from the collector.
  sentry = await startFakeSentry()
  fake = await startFakeTelegram()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: `${FAKE_BOT.id}:${'O'.repeat(35)}`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.url,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    PUBLISH_CONNECTION_RATE_PER_MIN: '100000',
    SENTRY_DSN: sentry.dsn,
  })
  reloadEnv()
  expect(initErrorTracking('web')).toBe(true)
  expect(startTracing('postforge-web')).toBe(true)
  payload = await testPayload()
  t = await createTenant(payload)
  await payload.db.drizzle.execute(sql`update accounts set verified_human_at = now() where id = ${t.account.id}`)
})

afterAll(async () => {
  await worker?.term()
  await stopTracing()
  await fake?.close()
  await otlp?.close()
  await sentry?.close()
  process.env = savedEnv
  reloadEnv()
})

/** The chain of parents from a span up to the root, within the spans received. */
function ancestry(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span]
  let current = span
  while (current.parentSpanId) {
    const parent = spans.find((s) => s.spanId === current.parentSpanId)
    if (!parent) break
    chain.push(parent)
    current = parent
  }
  return chain
}

describe('tracing (OpenTelemetry over OTLP)', () => {
  it('a "Publish again" press is one trace: webhook update → publish job in the worker → the Telegram channel call (Sentry on in both)', async () => {
    const channel = await payload.create({
      collection: 'connections',
      data: { displayName: 'Trace channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@pf_trace' } } as never,
    })
    const editor = await createStaff(payload, ['editor'])
    const post = await payload.create({
      collection: 'posts',
      data: { title: 'traced', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'trace-marker-1' }] } as never,
    })
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const publication = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: channel.id, post: post.id, plannedAt: new Date().toISOString() } as never,
    })
    // It failed earlier (the customer got the notice with "Publish again").
    await payload.db.drizzle.execute(sql`update publications set status = 'failed', last_error = 'earlier failure' where id = ${publication.id}`)
    const metricsPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    worker = startWorker({
      WORKER_METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: 'obs-trace-metrics-0123456789',
      GRAPHILE_WORKER_SCHEMA: SCHEMA,
      TELEGRAM_BOT_TOKEN: process.env.TELEGRAM_BOT_TOKEN!,
      TELEGRAM_API_ROOT: fake.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      PUBLISH_CONNECTION_RATE_PER_MIN: '100000',
      SENTRY_DSN: sentry.dsn,
    })

    const update_id = nextUpdateId()
    const from = { id: t.account.telegramId, is_bot: false, first_name: 'Trace', language_code: 'en' }
    const update = {
      update_id,
      callback_query: {
        id: String(randomInt(1, 2 ** 40)),
        from,
        chat_instance: 'ci',
        data: `u:r:${publication.id}`,
        message: { message_id: 7, date: Math.floor(Date.now() / 1000), chat: { id: from.id, type: 'private', first_name: 'Trace' }, from: FAKE_BOT, text: 'notice' },
      },
    }
    const answer = await POST(webhookRequest(update, SECRET))
    expect(answer.status).toBe(200)
    await flushTracing()

    // The customer's press went out to the channel, from the worker.
    await waitFor(() => fake.calls.some((c) => c.method === 'sendMessage' && String(c.params.text).includes('trace-marker-1')))
    const webhookSpan = await waitFor(() => otlp.spans.find((s) => s.name === 'telegram.webhook' && s.attributes['telegram.update_id'] === update_id))
    expect(webhookSpan.service).toBe('postforge-web')
    expect(webhookSpan.traceId).toMatch(/^[0-9a-f]{32}$/)
    const platformSpan = await waitFor(() => otlp.spans.find((s) => s.name === 'publish telegram' && s.traceId === webhookSpan.traceId))

    // The job's span ends after the call's, so it may come in a later export.
    const chain = await waitFor(() => {
      const found = ancestry(platformSpan, otlp.spans.filter((s) => s.traceId === webhookSpan.traceId))
      return found.length >= 3 ? found : null
    })
    expect(chain.map((s) => `${s.service}: ${s.name}`)).toEqual([
      'postforge-worker: publish telegram',
      'postforge-worker: job publication.publish',
      'postforge-web: telegram.webhook',
    ])
    expect(platformSpan.attributes['postforge.platform']).toBe('telegram')
    expect((await payload.findByID({ collection: 'publications', id: publication.id })).status).toBe('published')
    // The worker counted the publication by platform and result.
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: 'Bearer obs-trace-metrics-0123456789' } })).text()
    expect(Number(scraped.match(/^postforge_publications_total\{platform="telegram",status="published"\} (\d+)$/m)?.[1])).toBe(1)
    // Nothing failed, so error tracking (on) sent no event.
    expect(sentry.events()).toEqual([])
    // Both encodings the receiver understands were not needed: the exporter sends OTLP/JSON.
    expect(new Set(otlp.requests.map((r) => r.contentType))).toEqual(new Set(['application/json']))
  }, LONG_TEST_TIMEOUT_MS)
})
