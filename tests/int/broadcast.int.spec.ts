import { randomInt } from 'node:crypto'

import { Logger, runOnce } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { UNSUBSCRIBE_DATA } from '../../src/broadcasts/send'
import { t } from '../../src/i18n'
import { broadcastSendTask } from '../../src/jobs/tasks/broadcastSend'
import { env, reloadEnv } from '../../src/lib/env'
import type { Account, Broadcast } from '../../src/payload-types'
import { resetTelegramClient } from '../../src/telegram/client'
import { createStaff } from '../helpers/fixtures'
import { rest, type Auth } from '../helpers/rest'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { timeLeft, waitFor } from '../helpers/wait'
import { startWorker, type WorkerProcess } from '../helpers/workerProcess'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

/**
 * Announcements through the real job: Telegram's real pacing (30 messages a second per bot,
 * measured at the fake Bot API), opt-outs, each customer's language, a customer who blocked the
 * bot marked and skipped next time, and no second message to anyone after the worker is killed
 * mid-way. Recipients are placed in a plan code of this file's own, so accounts other files
 * create in the same database are never in the segment.
 */
const SCHEMA = 'pf_test_broadcast'
// A bot token of this file's own: its send budget in Redis is nobody else's.
const BOT_TOKEN = `7000000077:${'B'.repeat(35)}`
const quiet = new Logger(() => () => {})
const savedEnv = { ...process.env }
let h: Harness
let payload: Payload
let admin: { auth: Auth }
const workers: WorkerProcess[] = []

beforeAll(async () => {
  h = await startHarness('broadcast')
  payload = h.payload
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
    // Telegram's real limits for the job's sends (vitest's env loosens them for other files).
    TELEGRAM_SENDS_PER_SECOND: '30',
    TELEGRAM_CHAT_SENDS_PER_SECOND: '1',
  })
  reloadEnv()
  resetTelegramClient()
  admin = await createStaff(payload, ['admin'])
})

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill9()))
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await h?.close()
})

const planCode = () => `bc-${randomInt(1e9)}`

/** One after another: the test's database pool is small. */
async function many<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < count; i++) out.push(await make(i))
  return out
}

/** A customer of the bot in `plan` (set below the hooks: the code names no row of the plans catalogue). */
async function customer(plan: string, language: 'ru' | 'en', extra: Partial<Account> = {}): Promise<Account> {
  const account = await payload.create({
    collection: 'accounts',
    data: { telegramId: randomInt(100_000_000, 2_000_000_000), language, timezone: 'Europe/Moscow', status: 'active', verifiedHumanAt: new Date().toISOString(), ...extra } as never,
    overrideAccess: true,
  })
  await payload.db.updateOne({ collection: 'accounts', id: account.id, data: { plan }, req: {} as never })
  return { ...account, plan }
}

async function draft(segment: Broadcast['segment'], marker: string) {
  const res = await rest('POST', '/broadcasts', {
    auth: admin.auth,
    body: {
      title: `Launch ${marker}`,
      textRu: `Новая функция ${marker}`,
      textEn: `New feature ${marker}`,
      button: { textRu: 'Подробнее', textEn: 'Read more', url: 'https://postforge.example/news' },
      segment,
    },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json.doc as Broadcast
}

/** "Send" as the admin's button does it: draft → sending queues the job. */
async function send(id: number) {
  const res = await rest('PATCH', `/broadcasts/${id}`, { auth: admin.auth, body: { status: 'sending' } })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
}

/** Runs this file's queued broadcast jobs in-process with the real task, as the worker would. */
async function runJobs() {
  await runOnce({ connectionString: env().DATABASE_URL, schema: SCHEMA, taskList: Object.fromEntries([broadcastSendTask(async () => payload)]), logger: quiet })
}

const sendsWith = (marker: string) => h.fake.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes(marker))
const broadcast = (id: number) => payload.findByID({ collection: 'broadcasts', id, overrideAccess: true }) as Promise<Broadcast>

describe('broadcasts', () => {
  it('go to the segment in each customer’s language, paced at 30 a second, skipping opt-outs; a customer who blocked the bot is marked', async () => {
    const plan = planCode()
    const ru = await many(40, () => customer(plan, 'ru'))
    const en = await many(34, () => customer(plan, 'en'))
    const optedOut = await customer(plan, 'ru', { announcementsOff: true })
    const blocker = ru[7]
    h.fake.blockChat(blocker.telegramId)
    const otherPlan = await customer(planCode(), 'ru')
    const marker = `M${randomInt(1e9)}`

    const b = await draft({ plans: [plan] }, marker)
    await send(b.id)
    // Sent is sent: the texts and the status cannot be changed or sent again.
    expect((await rest('PATCH', `/broadcasts/${b.id}`, { auth: admin.auth, body: { textRu: 'changed' } })).status).toBe(409)
    await runJobs()

    const calls = sendsWith(marker)
    const chats = calls.map((c) => Number(c.params.chat_id))
    expect(new Set(chats).size).toBe(chats.length)
    expect(chats.sort()).toEqual([...ru, ...en].map((a) => a.telegramId).sort())
    expect(chats).not.toContain(optedOut.telegramId)
    expect(chats).not.toContain(otherPlan.telegramId)
    for (const c of calls) {
      const account = [...ru, ...en].find((a) => a.telegramId === Number(c.params.chat_id))!
      expect(c.params.text).toBe(account.language === 'en' ? `New feature ${marker}` : `Новая функция ${marker}`)
      const buttons = c.params.reply_markup.inline_keyboard.flat()
      expect(buttons[0]).toEqual({ text: account.language === 'en' ? 'Read more' : 'Подробнее', url: 'https://postforge.example/news' })
      expect(buttons[1]).toEqual({ text: t(account.language, 'broadcast.unsubscribe'), callback_data: UNSUBSCRIBE_DATA })
    }

    // Pacing, measured where Telegram would see it: Telegram's 30 a second with a burst of 30,
    // i.e. no stretch of T seconds holds more than 30 + 30·T messages; a send that leaves late on a
    // busy machine (the booking is on time) shortens a stretch by up to 150 ms.
    const at = calls.map((c) => c.at!).sort((x, y) => x - y)
    expect(at.at(-1)! - at[0]).toBeGreaterThanOrEqual(((at.length - 30) / 30) * 1000 * 0.9)
    let tightest = Infinity
    for (let i = 0; i < at.length; i++) {
      for (let j = i + 30; j < at.length; j++) {
        const allowed = 30 + (30 * (at[j] - at[i] + 150)) / 1000
        tightest = Math.min(tightest, allowed - (j - i + 1))
        expect(j - i + 1, `sends ${i}..${j} within ${at[j] - at[i]} ms`).toBeLessThanOrEqual(allowed)
      }
    }
    process.stderr.write(`broadcast pacing: ${at.length} sends in ${at.at(-1)! - at[0]} ms; least headroom under 30 + 30·(T + 0.15 s): ${tightest.toFixed(1)} messages\n`)

    const done = await broadcast(b.id)
    expect(done).toMatchObject({ status: 'done', recipients: 74, sent: 73, blocked: 1, failed: 0, unknown: 0 })
    expect(done.finishedAt).toBeTruthy()
    const marked = await payload.findByID({ collection: 'accounts', id: blocker.id, overrideAccess: true })
    expect(marked.botBlockedAt).toBeTruthy()
  })

  it('the Unsubscribe button opts a customer out; the next broadcast skips them, the blocked, other languages and those not seen within the days asked', async () => {
    const plan = planCode()
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await payload.db.updateOne({ collection: 'accounts', id: account.id, data: { plan }, req: {} as never })
    const staying = await customer(plan, 'en')
    const russian = await customer(plan, 'ru')
    const blocked = await customer(plan, 'en', { botBlockedAt: new Date().toISOString() } as never)
    // Seen 40 days ago: outside "active within 30 days".
    const stale = await customer(plan, 'en', { lastSeenAt: new Date(Date.now() - 40 * 86_400_000).toISOString() } as never)
    await payload.db.updateOne({ collection: 'accounts', id: staying.id, data: { lastSeenAt: new Date().toISOString() }, req: {} as never })
    await payload.db.updateOne({ collection: 'accounts', id: account.id, data: { lastSeenAt: new Date().toISOString() }, req: {} as never })

    await user.press(UNSUBSCRIBE_DATA)
    expect(user.alerts().join(' ')).toContain(t('en', 'broadcast.unsubscribed'))
    expect((await payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })).announcementsOff).toBe(true)

    const marker = `U${randomInt(1e9)}`
    const b = await draft({ plans: [plan], languages: ['en'], activeWithinDays: 30 }, marker)
    await send(b.id)
    await runJobs()
    expect(sendsWith(marker).map((c) => Number(c.params.chat_id))).toEqual([staying.telegramId])
    expect(russian.id).toBeTruthy()
    expect(blocked.id).toBeTruthy()
    expect(stale.id).toBeTruthy()
    expect(await broadcast(b.id)).toMatchObject({ status: 'done', recipients: 1, sent: 1 })

    // Back on from My data; and writing to the bot again clears a "blocked" mark.
    await user.press('pd:ann')
    expect((await payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })).announcementsOff).toBe(false)
  })

  it('texts are Telegram HTML: <b> arrives bold (parse_mode HTML), and what Telegram would refuse is refused on save with a clear message', async () => {
    const plan = planCode()
    const reader = await customer(plan, 'en')
    const marker = `H${randomInt(1e9)}`
    const html = `<b>Big news</b> &amp; <i>more</i>: <a href="https://postforge.example/news">read</a> ${marker}`
    const res = await rest('POST', '/broadcasts', { auth: admin.auth, body: { title: 'html', textRu: `<b>Новости</b> ${marker}`, textEn: html, segment: { plans: [plan] } } })
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    await send(res.json.doc.id)
    await runJobs()
    const [call] = sendsWith(marker)
    expect(Number(call.params.chat_id)).toBe(reader.telegramId)
    expect(call.params.parse_mode).toBe('HTML')
    expect(call.params.text).toBe(html)
    expect(await broadcast(res.json.doc.id)).toMatchObject({ status: 'done', sent: 1, failed: 0 })

    const refused = async (text: string, lang: 'en' | 'ru' = 'en') => {
      const bad = await rest('POST', '/broadcasts', { auth: admin.auth, lang, body: { title: 'bad html', textRu: 'ok', textEn: text } })
      expect(bad.status, `${text}: ${JSON.stringify(bad.json)}`).toBe(400)
      const messages = (bad.json.errors[0].data?.errors ?? []).map((e: { path: string; message: string }) => `${e.path}: ${e.message}`)
      expect(messages).toHaveLength(1)
      return messages[0] as string
    }
    expect(await refused('<div>hi</div>')).toMatch(/^textEn: Telegram does not allow <div> in a message\. Allowed: <b> /)
    expect(await refused('<b>hi')).toBe('textEn: <b> is never closed: add its closing tag.')
    expect(await refused('<b><i>hi</b></i>')).toMatch(/^textEn: <\/b> closes nothing open here \(open: <i>\)/)
    expect(await refused('2 < 3')).toMatch(/^textEn: A literal "<" \(character 3\) must be written as &lt;/)
    expect(await refused('Q&A')).toMatch(/^textEn: A literal "&"/)
    expect(await refused('<a href="javascript:alert(1)">x</a>')).toMatch(/^textEn: A link needs href="https:\/\/…"/)
    expect(await refused('<div>hi</div>', 'ru')).toMatch(/^textEn: Telegram не допускает <div>/)
  })

  it('a button link must be https, and only admins send', async () => {
    const bad = await rest('POST', '/broadcasts', { auth: admin.auth, body: { title: 'x', textRu: 'x', textEn: 'x', button: { textRu: 'a', textEn: 'a', url: 'javascript:alert(1)' } } })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.json)).toContain('https://')
    const plain = await rest('POST', '/broadcasts', { auth: admin.auth, body: { title: 'x', textRu: 'x', textEn: 'x', button: { textRu: 'a', textEn: 'a', url: 'http://example.com' } } })
    expect(plain.status).toBe(400)
    const support = await createStaff(payload, ['support'])
    const b = await draft({ plans: [planCode()] }, 'roles')
    expect((await rest('PATCH', `/broadcasts/${b.id}`, { auth: support.auth, body: { status: 'sending' } })).status).toBe(403)
  })

  it('sends nobody a second message after its worker is killed mid-way; another worker finishes it', async () => {
    const plan = planCode()
    const recipients = await many(90, (i) => customer(plan, i % 2 ? 'en' : 'ru'))
    const marker = `K${randomInt(1e9)}`
    const b = await draft({ plans: [plan] }, marker)
    const workerEnv = { GRAPHILE_WORKER_SCHEMA: SCHEMA, WORKER_DEAD_AFTER_MS: '6000', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: h.fake.url, TELEGRAM_SENDS_PER_SECOND: '30', TELEGRAM_CHAT_SENDS_PER_SECOND: '1' }
    const first = startWorker(workerEnv)
    workers.push(first)
    await send(b.id)
    // Looked at every 20 ms: at 30 messages a second the kill must land well before the 90th.
    await waitFor(() => sendsWith(marker).length >= 40, timeLeft(), 20).catch((error) => {
      throw new Error(`${error}\nthe worker sent ${sendsWith(marker).length} messages; output: ${first.output()}`)
    })
    await first.kill9()
    const atKill = sendsWith(marker).length
    expect(atKill).toBeLessThan(90)

    const second = startWorker(workerEnv)
    workers.push(second)
    await waitFor(async () => (await broadcast(b.id)).status === 'done').catch((error) => {
      throw new Error(`${error}\nnot done; second worker: ${second.output()}`)
    })
    await second.term()

    const chats = sendsWith(marker).map((c) => Number(c.params.chat_id))
    expect(new Set(chats).size, 'a chat got the announcement twice').toBe(chats.length)
    const done = await broadcast(b.id)
    const rows = await payload.find({ collection: 'broadcast-deliveries', where: { broadcast: { equals: b.id } }, pagination: false, depth: 0, overrideAccess: true })
    expect(rows.docs).toHaveLength(90)
    expect(done.sent! + done.unknown!).toBe(90)
    // Only a message in flight at the kill can be unknown (at most the job's lanes), and every one marked sent arrived.
    expect(done.unknown!).toBeLessThanOrEqual(8)
    process.stderr.write(`broadcast crash: ${atKill} sent before kill -9, ${chats.length} chats messaged once each, sent ${done.sent}, unknown ${done.unknown}\n`)
    const sentTo = new Set(chats)
    for (const row of rows.docs.filter((r) => r.status === 'sent')) {
      const account = recipients.find((a) => a.id === Number(row.recipient))!
      expect(sentTo.has(account.telegramId)).toBe(true)
    }
    expect(chats.length).toBeGreaterThanOrEqual(done.sent!)
  }, LONG_TEST_TIMEOUT_MS)
})
