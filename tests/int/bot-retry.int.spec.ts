import { Logger, runOnce } from 'graphile-worker'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { rememberFailedJob } from '../../src/ai/retry'

import { workerUtils } from '../../src/jobs/inspect'
import { buildAiTaskList } from '../../src/jobs/taskList'
import { reloadEnv } from '../../src/lib/env'
import type { Account, Keyword, Project } from '../../src/payload-types'
import { resetTelegramClient } from '../../src/telegram/client'
import { fakeAiEnv, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai'
import { startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'

/**
 * Issue 11, items 1 and 3, through the bot: a generation that fails for good tells the customer in
 * words (no model id, no HTTP status) with a "🔁 Попробовать снова" button that queues the same
 * job again for its owner only; every attempt of a job edits one progress message instead of
 * sending a copy. A Russian customer, the fake Bot API and the fake model; the AI jobs wait in this
 * file's queue and are run here with graphile-worker's runOnce, their backoff skipped.
 */
// Migrated by the global set-up (tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_bot_retry'
const silent = new Logger(() => () => {})
let h: Harness
let ai: FakeOpenAI
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('retry')
  ai = await startFakeOpenAI()
  Object.assign(process.env, fakeAiEnv(ai), {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  resetTelegramClient()
})
afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await ai?.close()
  await h?.close()
})
beforeEach(() => ai.reset())

type JobRow = { id: string; attempts: number; max_attempts: number; last_error: string | null; run_at: Date }

async function jobsUnder(key: string): Promise<JobRow[]> {
  const { rows } = await (await workerUtils()).withPgClient((c) =>
    c.query(`select id::text as id, attempts, max_attempts, last_error, run_at from "${SCHEMA}"._private_jobs where key = $1`, [key]),
  )
  return rows as JobRow[]
}

/** Runs what is due in this file's queue, then makes retries due at once, until nothing waits under `key`. */
async function runUntilSettled(key: string) {
  for (let round = 0; round < 10; round += 1) {
    await runOnce({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, taskList: buildAiTaskList(async () => h.payload), logger: silent })
    const [job] = await jobsUnder(key)
    if (!job || job.attempts >= job.max_attempts) return job
    await (await workerUtils()).withPgClient((c) => c.query(`update "${SCHEMA}"._private_jobs set run_at = now() where id = $1`, [job.id]))
  }
  throw new Error(`job ${key} did not settle`)
}

async function customer(): Promise<{ user: TestUser; account: Account; project: Project; keyword: Keyword }> {
  const { user, account } = await verifiedUser(h, { language: 'ru' })
  // A plan whose daily generations leave room for an order and its retry.
  await h.payload.update({ collection: 'accounts', id: account.id, data: { plan: 'pro' } as never, overrideAccess: true })
  const project = (await h.payload.create({
    collection: 'projects',
    data: { name: 'Кофейня', account: account.id, language: 'ru', reviewPolicy: 'owner' } as never,
    overrideAccess: true,
  })) as Project
  const keyword = (await h.payload.create({
    collection: 'keywords',
    data: { phrase: `кофе для турки ${Date.now().toString(36)}`, project: project.id } as never,
    overrideAccess: true,
  })) as Keyword
  return { user, account, project, keyword }
}

const sentTo = (user: TestUser) => h.fake.callsTo('sendMessage', user.id)
const editsTo = (user: TestUser) => h.fake.callsTo('editMessageText', user.id)
const buttonsOf = (call: { params: Record<string, any> }) =>
  ((call.params.reply_markup?.inline_keyboard ?? []) as Array<Array<{ text: string; callback_data?: string }>>).flat()

describe('an article the AI fails to write', () => {
  it('edits one progress message across its attempts, says why in words with "Try again", and only its owner can retry it', async () => {
    const { user, keyword } = await customer()
    const key = `article.generate:keyword:${keyword.id}`
    for (const model of ['test/primary', 'test/fallback']) ai.setModel(model, { dead: 404 })

    await user.press(`c:gl:${keyword.id}:m`)
    expect(user.lastText()).toContain('Пишу статью')
    h.fake.clear()
    const failed = await runUntilSettled(key)
    expect(failed?.attempts).toBe(5)
    // The staff jobs view keeps the model's error.
    expect(failed?.last_error).toContain('HTTP 404')

    // One progress message, sent by the first attempt and edited by the others.
    const progress = sentTo(user).filter((c) => String(c.params.text).startsWith('✍️ Пишу статью'))
    expect(progress).toHaveLength(1)
    expect(editsTo(user).length).toBeGreaterThanOrEqual(4)
    expect(new Set(editsTo(user).map((c) => Number(c.params.message_id))).size).toBe(1)

    // The failure in words, with what to do, and the button; no model id, no HTTP status.
    const failure = sentTo(user).find((c) => String(c.params.text).includes('Не получилось'))!
    expect(failure).toBeDefined()
    const text = String(failure.params.text)
    expect(text).toContain('написать статью')
    expect(text).toContain('сейчас недоступна')
    expect(text).toContain('Попробовать снова')
    expect(text).not.toMatch(/test\/|HTTP|404|error/i)
    const [retry] = buttonsOf(failure)
    expect(retry?.text).toBe('🔁 Попробовать снова')
    expect(retry?.callback_data).toMatch(/^g:rt:/)
    expect(Buffer.byteLength(retry!.callback_data!)).toBeLessThanOrEqual(64)

    // Someone else pressing the same data is refused, and nothing is queued.
    const stranger = await verifiedUser(h, { language: 'ru' })
    h.fake.clear()
    await stranger.user.press(retry!.callback_data!)
    expect(stranger.user.alerts().join(' ')).toContain('не из вашего чата')
    expect(await jobsUnder(key)).toMatchObject([{ id: failed!.id, attempts: 5, max_attempts: 5 }])

    // The owner presses it: the same job is queued again under its key, and a healthy model writes it.
    ai.reset()
    h.fake.clear()
    await user.press(retry!.callback_data!)
    expect(user.texts().join('\n')).toContain('Пишу статью')
    const [again] = await jobsUnder(key)
    expect(again).toMatchObject({ attempts: 0 })
    const done = await runUntilSettled(key)
    expect(done).toBeUndefined()
    const finished = sentTo(user).find((c) => String(c.params.text).includes('Статья готова'))
    expect(finished).toBeDefined()
    expect(buttonsOf(finished!).map((b) => b.callback_data)).toContainEqual(expect.stringMatching(/^c:o:a:\d+$/))
    // The new run started a progress message of its own, at the bottom of the chat.
    expect(sentTo(user).filter((c) => String(c.params.text).startsWith('✍️ Пишу статью'))).toHaveLength(1)

    // The button works once: pressed again after the retry wrote the article, it says so and orders nothing.
    h.fake.clear()
    await user.press(retry!.callback_data!)
    expect(user.alerts().join(' ')).toContain('Эта кнопка уже сработала')
    expect(user.texts().join('\n')).not.toContain('Пишу статью')
    expect(await jobsUnder(key)).toEqual([])
    const articles = await h.payload.count({ collection: 'articles', where: { mainKeyword: { equals: keyword.id } } })
    expect(articles.totalDocs).toBe(1)
  })

  it('a progress message the customer deleted is replaced by one new message, which later attempts edit', async () => {
    const { user, keyword } = await customer()
    const key = `article.generate:keyword:${keyword.id}`
    const runDue = async () => {
      await (await workerUtils()).withPgClient((c) => c.query(`update "${SCHEMA}"._private_jobs set run_at = now() where key = $1`, [key]))
      await runOnce({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, taskList: buildAiTaskList(async () => h.payload), logger: silent })
    }
    const progressSent = () => sentTo(user).filter((c) => /^(✍️|🗂|🔎)/u.test(String(c.params.text)))
    for (const model of ['test/primary', 'test/fallback']) ai.setModel(model, { dead: 500 })
    await user.press(`c:gl:${keyword.id}:m`)
    h.fake.clear()
    await runDue()
    expect(progressSent()).toHaveLength(1)
    // The customer deleted it: Telegram refuses the second attempt's edit, which sends one anew.
    h.fake.fail('editMessageText', { status: 400, description: 'Bad Request: message to edit not found' })
    await runDue()
    expect(progressSent()).toHaveLength(2)
    // The third attempt edits that one through every stage, and writes the article.
    ai.reset()
    await runDue()
    expect((await jobsUnder(key))).toEqual([])
    expect(progressSent().map((c) => String(c.params.text).slice(0, 14))).toEqual(['✍️ Пишу статью', '✍️ Пишу статью'])
    expect(sentTo(user).some((c) => String(c.params.text).includes('Статья готова'))).toBe(true)
  })
})

describe('clustering whose answers the model garbles', () => {
  it('fails for good at once with the reason in words and "Try again", which sorts the keywords once the model answers', async () => {
    const { user, project } = await customer()
    const key = `keywords.cluster:${project.id}`
    for (const model of ['test/primary', 'test/fallback']) ai.setModel(model, { broken: 'garbage' })
    await user.press(`k:rc:${project.id}`)
    h.fake.clear()
    const failed = await runUntilSettled(key)
    expect(failed?.attempts).toBe(1)
    const failure = sentTo(user).find((c) => String(c.params.text).includes('Не получилось'))!
    expect(String(failure.params.text)).toContain('подобрать ключевые слова')
    expect(String(failure.params.text)).toContain('неверном формате')
    const [retry] = buttonsOf(failure)
    expect(retry?.callback_data).toMatch(/^g:rt:/)

    // Two presses at once (a double tap): one starts the job, the other is told it already did.
    ai.reset()
    h.fake.clear()
    await Promise.all([user.press(retry!.callback_data!), user.press(retry!.callback_data!)])
    expect(user.texts().filter((t) => t.includes('Группирую ключевые слова'))).toHaveLength(1)
    expect(user.alerts().filter((t) => t.includes('Эта кнопка уже сработала'))).toHaveLength(1)
    expect(await jobsUnder(key)).toHaveLength(1)
    expect(await runUntilSettled(key)).toBeUndefined()
    expect(sentTo(user).some((c) => String(c.params.text).includes('Кластеры готовы'))).toBe(true)
    const added = await h.payload.count({ collection: 'keywords', where: { project: { equals: project.id }, source: { equals: 'ai' } } })
    expect(added.totalDocs).toBeGreaterThan(0)
  })
})

describe('a post whose image the AI cannot draw', () => {
  it('says so in words, without the model or the HTTP error', async () => {
    const { user, keyword } = await customer()
    ai.refuseImages()
    await user.press(`c:gp:${keyword.id}`)
    h.fake.clear()
    expect(await runUntilSettled(`post.generate:keyword:${keyword.id}`)).toBeUndefined()
    const note = sentTo(user).find((c) => String(c.params.text).includes('Без изображения'))
    expect(note).toBeDefined()
    expect(String(note!.params.text)).toContain('не рисует изображения')
    expect(String(note!.params.text)).not.toMatch(/test\/|HTTP|404|endpoint/i)
  })
})

describe('"Try again" on a post ordered with the customer\'s own image', () => {
  it('keeps that image in the job it queues again, and a press the daily limit refuses leaves the button working', async () => {
    const { user, account, project, keyword } = await customer()
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#a05030' } }).png().toBuffer()
    const own = await h.payload.create({
      collection: 'media',
      data: { alt: 'Своё фото', project: project.id } as never,
      file: { data: png, mimetype: 'image/png', name: 'own-retry.png', size: png.length },
      overrideAccess: true,
    })
    const key = `post.generate:keyword:${keyword.id}`
    const token = await rememberFailedJob(account.id, 'post.generate', { accountId: account.id, projectId: project.id, keywordId: keyword.id, mediaId: own.id })
    expect(token).toBeTruthy()

    // Over the daily limit: refused, nothing queued, and the same button still works afterwards.
    await h.payload.update({ collection: 'accounts', id: account.id, data: { plan: 'free' } as never, overrideAccess: true })
    const dropQueued = () => workerUtils().then((u) => u.withPgClient((c) => c.query(`delete from "${SCHEMA}"._private_jobs where key = $1`, [key])))
    for (let i = 0; i < 3; i += 1) {
      await user.press(`c:gp:${keyword.id}`)
      await dropQueued()
    }
    await user.press(`c:gp:${keyword.id}`)
    expect(user.lastText()).toContain('лимит')
    await user.press(`g:rt:${token}`)
    expect(await jobsUnder(key)).toHaveLength(0)
    expect(user.alerts().some((t) => t.includes('Эта кнопка уже сработала'))).toBe(false)

    await h.payload.update({ collection: 'accounts', id: account.id, data: { plan: 'pro' } as never, overrideAccess: true })
    await user.press(`g:rt:${token}`)
    const { rows } = await (await workerUtils()).withPgClient((c) => c.query(`select payload from "${SCHEMA}"._private_jobs where key = $1`, [key]))
    expect(rows).toHaveLength(1)
    expect(rows[0].payload).toMatchObject({ keywordId: keyword.id, mediaId: own.id })
  })
})
