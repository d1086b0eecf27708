import { Logger, makeWorkerUtils, runOnce, type WorkerUtils } from 'graphile-worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'

import { tr } from '../../src/i18n'
import { defineTask } from '../../src/jobs/task'
import { reloadEnv } from '../../src/lib/env'
import { errorTrackingOn, flushErrors, initErrorTracking, reportError } from '../../src/lib/telemetry'
import { startFakeSentry, type FakeSentry } from '../fakes/sentry'
import { testPayload } from '../helpers/payload'
import { waitFor } from '../helpers/wait'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

/**
 * Error tracking against a Sentry ingest fake that parses the SDK's envelopes: one error is one
 * event, with release, environment, the job or update id and the account id, and nothing secret
 * or personal anywhere in what was sent.
 */
const SCHEMA = 'pf_test_observability'
const BOT_TOKEN = `7000000042:${'S'.repeat(35)}`
const AI_KEY = `sk-or-v1-${crypto.randomUUID().replaceAll('-', '')}`
const EMAIL = 'maria.ivanova@example.org'
const PHONE = '+7 912 345-67-89'
const savedEnv = { ...process.env }
let sentry: FakeSentry
let utils: WorkerUtils
let h: Harness

beforeAll(async () => {
  sentry = await startFakeSentry()
  Object.assign(process.env, {
    SENTRY_DSN: sentry.dsn,
    SENTRY_ENVIRONMENT: 'obs-test',
    GIT_SHA: 'obs0123abc',
    // The process's own secrets: the scrubber knows them by these settings.
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    AI_API_KEY: AI_KEY,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  expect(initErrorTracking('worker')).toBe(true)
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: new Logger(() => () => {}) })
  h = await startHarness('observability-errors')
})

afterAll(async () => {
  await h?.close()
  await utils?.release()
  await sentry?.close()
  process.env = savedEnv
  reloadEnv()
})

/** Every byte the SDK sent, decoded: what must not contain a secret. */
const everythingSent = () => sentry.envelopes.map((e) => e.raw).join('\n')

/**
 * The events that arrived after `before` and ahead of a marker reported now. Whatever the error
 * under test would send (a second capture included) is captured before the marker and the
 * transport sends in order, so once the marker is in, nothing of it can still be on its way; a
 * fixed pause instead would pass whenever a duplicate was merely slower than the pause.
 */
async function eventsBeforeMarker(before: number) {
  const ref = reportError(new Error('observability marker'))
  await flushErrors()
  return waitFor(() => {
    const events = sentry.events().slice(before)
    const at = events.findIndex((e) => e.tags?.ref === ref)
    return at >= 0 ? events.slice(0, at) : undefined
  })
}

describe('error tracking (Sentry)', () => {
  it('an error in a job is one event with the job id, task and account id, and no token, API key, e-mail or phone anywhere', async () => {
    const payload = await testPayload()
    const failing = defineTask('observability.fail', z.object({ accountId: z.number() }), async () => {
      const error = new Error(`upstream refused bot${BOT_TOKEN}/sendMessage with key ${AI_KEY} for ${EMAIL}, call ${PHONE}`)
      Object.assign(error, { config: { headers: { Authorization: `Bearer ${AI_KEY}`, Cookie: 'session=abc' } }, customerEmail: EMAIL })
      throw error
    })(async () => payload)
    const before = sentry.events().length
    const job = await utils.addJob('observability.fail', { accountId: 4242 }, { maxAttempts: 1 })
    await runOnce({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, taskList: Object.fromEntries([failing]), logger: new Logger(() => () => {}) })
    await flushErrors()
    await waitFor(() => sentry.events().length > before)
    // Nothing else arrives for the same error (pino is not a source of events; Sentry's own
    // capture of the rethrown error is recognised).
    const events = await eventsBeforeMarker(before)
    expect(events).toHaveLength(1)
    const [event] = events
    expect(event.tags).toMatchObject({ job_id: job.id, task: 'observability.fail', account_id: '4242', face: 'worker' })
    expect(event.tags?.ref).toMatch(/^[0-9a-f]{8}$/)
    expect(event.release).toBe('obs0123abc')
    expect(event.environment).toBe('obs-test')
    expect(event.user).toEqual({ id: '4242' })
    // The message is kept, its secrets and personal data replaced.
    expect(event.exception?.values?.[0]?.value).toMatch(/^upstream refused bot\[redacted\]\/sendMessage with key \[redacted\] for \[email\], call \[phone\]$/)
    const sent = everythingSent()
    for (const secret of [BOT_TOKEN, AI_KEY, EMAIL, PHONE, 'session=abc', BOT_TOKEN.split(':')[1]]) expect(sent).not.toContain(secret)
    // The envelope is addressed to the DSN's project with its public key.
    expect(sentry.envelopes.at(-1)!.project).toBe('4242')
  })

  it('an unexpected error in the bot is one event with the update id and account id, and the customer reads the reference staff can find', async () => {
    expect(errorTrackingOn()).toBe(true)
    const { user, account } = await verifiedUser(h)
    h.fake.clear()
    const before = sentry.events().length
    // The Bot API fails the reply in a way the bot does not expect.
    h.fake.fail('sendMessage', { status: 500, description: `Internal Server Error for ${EMAIL}` })
    const update = user.messageUpdate({ text: '/help', entities: [{ type: 'bot_command', offset: 0, length: 5 }] })
    await h.bot.handleUpdate(update)
    await flushErrors()
    await waitFor(() => sentry.events().length > before)
    const events = await eventsBeforeMarker(before)
    expect(events).toHaveLength(1)
    const [event] = events
    expect(event.tags).toMatchObject({ update_id: String(update.update_id), account_id: String(account.id) })
    // Tracking is on: the customer is told staff have the report, with its reference.
    expect(user.lastText()).toBe(tr('en', 'error.apology', { ref: event.tags!.ref }))
    expect(everythingSent()).not.toContain(EMAIL)
    expect(everythingSent()).not.toContain(BOT_TOKEN)
  })
})
