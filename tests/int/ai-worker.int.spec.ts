import { spawn } from 'node:child_process'

import { Logger, run, type Runner } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { workerUtils } from '../../src/jobs/inspect'
import { buildAiTaskList } from '../../src/jobs/taskList'
import type { Article, Keyword } from '../../src/payload-types'
import type { FakeTelegram } from '../fakes/telegramBotApi'
import type { FakeOpenAI } from '../fakes/openai'
import { holdSectionsAfter, useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant } from '../helpers/fixtures'
import { LONG_TEST_TIMEOUT_MS } from '../helpers/timeouts'
import { waitFor } from '../helpers/wait'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let bot: FakeTelegram
const silent = new Logger(() => () => {})
beforeAll(() => {
  ;({ payload, ai, bot } = world)
})

async function jobRow(id: string) {
  const { rows } = await (await workerUtils()).withPgClient((c) =>
    c.query('select attempts, max_attempts, last_error, locked_at, locked_by from graphile_worker._private_jobs where id = $1', [id]),
  )
  return rows[0] as { attempts: number; max_attempts: number; last_error: string | null; locked_at: Date | null; locked_by: string | null } | undefined
}

async function aiPool(): Promise<Runner> {
  return run({
    connectionString: process.env.DATABASE_URL,
    concurrency: 2,
    taskList: buildAiTaskList(async () => payload),
    noHandleSignals: true,
    logger: silent,
    preset: { worker: { pollInterval: 200 } },
  })
}

const articleFor = async (keywordId: number) =>
  (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: keywordId } }, limit: 1, depth: 0 })).docs[0] as Article | undefined

describe('AI jobs in the worker', () => {
  it('fails one bad payload once with a clear error, stops a capped account before any model call, and runs the others', async () => {
    const t = await createTenant(payload, { name: `Worker ${Date.now().toString(36)}` })
    const capped = await createTenant(payload, { name: 'Capped' })
    await payload.create({ collection: 'ai-runs', data: { task: 'article.section', model: 'm', outcome: 'ok', costUsd: 1, account: capped.account.id } })
    const cappedPhrase = `потолки ${Date.now().toString(36)}`
    const cappedKeyword = (await payload.create({ collection: 'keywords', data: { phrase: cappedPhrase, project: capped.project.id } as never })) as Keyword
    const utils = await workerUtils()
    const bad = await utils.addJob('article.generate', { accountId: 'first', projectId: t.project.id }, { maxAttempts: 5 })
    const capJob = await utils.addJob('article.generate', { accountId: capped.account.id, projectId: capped.project.id, keywordId: cappedKeyword.id }, { maxAttempts: 5 })
    const good = await utils.addJob('keywords.cluster', { accountId: t.account.id, projectId: t.project.id }, { maxAttempts: 5 })
    const runner = await aiPool()
    try {
      const badRow = await waitFor(async () => {
        const row = await jobRow(String(bad.id))
        return row?.last_error && !row.locked_at ? row : undefined
      })
      expect(badRow.last_error).toContain('invalid payload for article.generate: accountId')
      expect(badRow.attempts).toBe(1)
      expect(badRow.max_attempts).toBe(1)

      const capRow = await waitFor(async () => {
        const row = await jobRow(String(capJob.id))
        return row?.last_error && !row.locked_at ? row : undefined
      })
      expect(capRow.max_attempts).toBe(1)
      expect(capRow.last_error).toContain('stopped before any model call')
      const told = bot.calls.find((c) => c.method === 'sendMessage' && c.params.chat_id === capped.account.telegramId)
      expect(told?.params.text).toContain("Today's generation budget on your plan is used up")
      expect(await articleFor(cappedKeyword.id)).toBeUndefined()

      await waitFor(async () => !(await jobRow(String(good.id))))
      const added = await payload.count({ collection: 'keywords', where: { project: { equals: t.project.id }, source: { equals: 'ai' } } })
      expect(added.totalDocs).toBeGreaterThan(0)
      // Other test files queue AI jobs in the same database too: look only at this test's tenants.
      expect(ai.requests.some((r) => r.task === 'keywords.cluster' && JSON.stringify(r.body).includes(t.project.name))).toBe(true)
      expect(ai.requests.filter((r) => JSON.stringify(r.body).includes(cappedPhrase))).toEqual([])
    } finally {
      await runner.stop()
    }
  })

  it('a worker killed mid-article resumes after the saved sections, without writing or charging any twice', async () => {
    const t = await createTenant(payload, { name: 'Crash' })
    const phrase = `кофе для турки ${Date.now().toString(36)}`
    const keyword = (await payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })) as Keyword
    ai.setModel('test/primary', { tokensPerSecond: 200 })
    // Killed with the first two sections saved and the last two being written, however slow the machine.
    const release = holdSectionsAfter(ai, phrase, 2)
    const utils = await workerUtils()
    const job = await utils.addJob(
      'article.generate',
      { accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, withImage: false },
      { jobKey: `article.generate:keyword:${keyword.id}`, maxAttempts: 5 },
    )
    // tsx runs the worker in a child process of its own: kill the whole process group.
    const child = spawn('node_modules/.bin/tsx', ['src/jobs/worker.ts'], { env: { ...process.env, WORKER_AI_CONCURRENCY: '1', AI_SECTION_CONCURRENCY: '2' }, stdio: 'ignore', detached: true })
    let savedAtKill = 0
    try {
      await waitFor(async () => ((await articleFor(keyword.id))?.generation?.sections?.length ?? 0) >= 2)
    } finally {
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))
      process.kill(-child.pid!, 'SIGKILL')
      await exited
    }
    const killed = (await articleFor(keyword.id))!
    savedAtKill = killed.generation?.sections?.length ?? 0
    expect(savedAtKill).toBeGreaterThanOrEqual(2)
    expect(savedAtKill).toBeLessThan(4)
    expect(killed.generation?.state).toBe('sections')

    // The dead worker still holds the job; an operator (or graphile-worker after its lock timeout) releases it.
    const row = await jobRow(String(job.id))
    expect(row?.locked_by).toBeTruthy()
    await utils.forceUnlockWorkers([row!.locked_by!])
    ai.setModel('test/primary', {})
    release()
    const runner = await aiPool()
    try {
      await waitFor(async () => (await articleFor(keyword.id))?.generation?.state === 'done')
    } finally {
      await runner.stop()
    }
    const done = (await articleFor(keyword.id))!
    expect(done.generation?.sections?.map((s) => s.index).sort()).toEqual([0, 1, 2, 3])
    const runs = await payload.find({ collection: 'ai-runs', where: { article: { equals: done.id }, outcome: { equals: 'ok' } }, pagination: false, limit: 100 })
    const ok = (task: string) => runs.docs.filter((r) => r.task === task).length
    expect(ok('article.outline')).toBe(1)
    // Sections saved before the kill were charged once; at most the ones being written (two at once) are asked for twice.
    const perSection = (n: number) => runs.docs.filter((r) => r.task === 'article.section' && r.jobKey?.endsWith(`#section-${n}`)).length
    const savedIndexes = killed.generation!.sections!.map((s) => s.index)
    for (const index of savedIndexes) expect(perSection(index + 1), `section ${index + 1}`).toBe(1)
    expect(ok('article.section')).toBeLessThanOrEqual(4 + 2)
    expect(ok('article.section')).toBeGreaterThanOrEqual(4)
    // The worker also runs other test files' jobs from the shared database: count this article's calls.
    const mine = ai.requests.filter((r) => r.task === 'article.section' && JSON.stringify(r.body).includes(phrase))
    expect(mine.length).toBeLessThanOrEqual(4 + 2)
    expect(mine.length).toBeGreaterThanOrEqual(4)
    expect(done.workflowStatus).toBe('in_review')
  }, LONG_TEST_TIMEOUT_MS)
})
