/**
 * AI pipeline throughput, same machine, same run, same database:
 *  1. no-op jobs: bare graphile-worker vs our task wrapper in the AI pool's settings;
 *  2. whole articles (short preset: outline, 4 streamed sections, meta, FAQ, image prompt, image)
 *     through our article.generate task vs a bare graphile-worker task making the same model
 *     calls over HTTP with nothing else, against the fake OpenAI-compatible model streaming at a
 *     realistic TOKENS_PER_SECOND per stream;
 *  3. our overhead per article excluding model time: wall time per article (one at a time) minus
 *     the model latency recorded for it in ai-runs;
 *  4. a long article (xlong preset: 9 sections, 5,000+ words) from order to "in review" through
 *     article.generate, the model streaming at LONG_TPS tokens/s (default 100): its sections
 *     written one at a time (AI_SECTION_CONCURRENCY=1, as before) and then 4 at once, same run.
 *
 *   npx tsx bench/ai.ts [articles=8] [concurrency=4] [tokensPerSecond=50] [noopJobs=3000]
 *   BENCH_AI_ONLY=long npx tsx bench/ai.ts     # scenario 4 alone
 */
import { spawnSync } from 'node:child_process'

import { Logger, makeWorkerUtils, run, type TaskList } from 'graphile-worker'
import { z } from 'zod'

import { fakeAiEnv, startFakeOpenAI } from '../tests/fakes/openai'
import { row, scratchDatabase } from './lib'

process.env.LOG_LEVEL ??= 'silent'
const ARTICLES = Number(process.argv[2] ?? 8)
const CONCURRENCY = Number(process.argv[3] ?? 4)
const TOKENS_PER_SECOND = Number(process.argv[4] ?? 50)
const NOOP_JOBS = Number(process.argv[5] ?? 3000)
const silent = new Logger(() => () => {})
const ONLY_LONG = process.env.BENCH_AI_ONLY === 'long'
const LONG_TPS = Number(process.env.LONG_TPS ?? 100)

const db = await scratchDatabase('bench_ai')
const fake = await startFakeOpenAI()
Object.assign(process.env, fakeAiEnv(fake, 'openai-compatible'), {
  DATABASE_URL: db.url,
  PAYLOAD_SECRET: process.env.PAYLOAD_SECRET ?? 'bench-secret-that-is-long-enough-0123456789',
  CREDENTIALS_ENCRYPTION_KEY: process.env.CREDENTIALS_ENCRYPTION_KEY ?? Buffer.alloc(32, 7).toString('base64'),
  PAYLOAD_DB_PUSH: 'false',
  MEDIA_DIR: '.data/bench-media',
  AI_TIMEOUT_MS: '120000',
  AI_DRAFT_INTERVAL_MS: '1000',
  TELEGRAM_BOT_TOKEN: '',
})
delete process.env.TELEGRAM_BOT_TOKEN
fake.setModel('test/primary', { tokensPerSecond: TOKENS_PER_SECOND })

async function drain(url: string, taskList: TaskList, concurrency: number, add: () => Promise<void>) {
  const utils = await makeWorkerUtils({ connectionString: url, logger: silent })
  await utils.migrate()
  await add()
  const started = performance.now()
  const runner = await run({ connectionString: url, concurrency, taskList, logger: silent, noHandleSignals: true, preset: { worker: { localQueue: { size: concurrency * 4 }, completeJobBatchDelay: 0, pollInterval: 200 } } })
  for (;;) {
    const { rows } = await utils.withPgClient((c) => c.query('select count(*)::int as n, count(last_error)::int as failed from graphile_worker._private_jobs'))
    if (rows[0].n === 0) break
    if (rows[0].failed > 0) throw new Error('a bench job failed')
    await new Promise((r) => setTimeout(r, 50))
  }
  const seconds = (performance.now() - started) / 1000
  await runner.stop()
  await utils.release()
  return seconds
}

try {
  const migrate = spawnSync('npx', ['payload', 'migrate'], { env: { ...process.env, NODE_OPTIONS: '--no-deprecation' }, encoding: 'utf8' })
  if (migrate.status !== 0) throw new Error(`payload migrate failed:\n${migrate.stderr}`)
  const { defineTask } = await import('../src/jobs/task')
  const { buildAiTaskList } = await import('../src/jobs/taskList')
  const { default: config } = await import('@payload-config')
  const { getPayload } = await import('payload')
  const payload = await getPayload({ config })
  const { seedPrompts } = await import('../src/ai/prompts')
  await seedPrompts(payload)
  const utils = await makeWorkerUtils({ connectionString: db.url, logger: silent })

  // 1. No-op jobs.
  if (!ONLY_LONG) {
    const addNoops = (task: string) => () => utils.addJobs(Array.from({ length: NOOP_JOBS }, (_, n) => ({ identifier: task, payload: { n } }))).then(() => {})
    const bareNoop = await drain(db.url, { noop: async () => {} }, 10, addNoops('noop'))
    const ours = defineTask('noop.ai', z.object({ n: z.number().int() }), async () => {})
    const oursNoop = await drain(db.url, Object.fromEntries([ours(async () => payload)]), 10, addNoops('noop.ai'))
    row('no-op: bare graphile-worker', { jobs: NOOP_JOBS, 'jobs/s': Math.round(NOOP_JOBS / bareNoop) })
    row('no-op: postforge task wrapper', { jobs: NOOP_JOBS, 'jobs/s': Math.round(NOOP_JOBS / oursNoop), ratio: (bareNoop / oursNoop).toFixed(2) })
  }

  // 2. Whole articles.
  const account = await payload.create({ collection: 'accounts', data: { telegramId: 42, displayName: 'Bench', language: 'ru', timezone: 'UTC', plan: 'agency', status: 'active' } as never })
  const project = await payload.create({ collection: 'projects', data: { name: 'Bench', account: account.id, language: 'ru', reviewPolicy: 'staff' } as never })
  const keywords: number[] = []
  for (let i = 0; i < ARTICLES * 2; i += 1) keywords.push((await payload.create({ collection: 'keywords', data: { phrase: `кофе в зернах ${i}`, project: project.id } as never })).id)
  // Scenarios 2 and 3 compare with a bare worker writing sections one by one, and take model time
  // out of wall time: our sections are written one at a time there too (scenario 4 compares).
  process.env.AI_SECTION_CONCURRENCY = '1'
  ;(await import('../src/lib/env')).reloadEnv()
  const articleJob = (keywordId: number, lengthPreset = 'short') => ({ identifier: 'article.generate', payload: { accountId: account.id, projectId: project.id, keywordId, lengthPreset } })
  const aiTasks = buildAiTaskList(async () => payload)
  if (!ONLY_LONG) {
    const outline = { title: 'Как выбрать кофе', outline: ['Обжарка', 'Сорта', 'Помол', 'Хранение'].map((heading) => ({ level: 'h2', heading })) }
    fake.reply('article.outline', JSON.stringify(outline))

    // The same model calls a bare worker would make: JSON calls plain, sections streamed to the end.
    const call = async (task: string, stream: boolean) => {
      const response = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Postforge-Task': task },
        body: JSON.stringify({ model: 'test/primary', stream, messages: [{ role: 'user', content: 'Section: Обжарка\nMain query: кофе' }] }),
      })
      await response.text()
  }
  const bareArticle = async () => {
    await call('article.outline', false)
    for (let i = 0; i < 4; i += 1) await call('article.section', true)
    await call('article.meta', false)
    await call('article.faq', false)
    await call('image.prompt', false)
    await (await fetch(`${fake.url}/images/generations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'test/image', prompt: 'x' }) })).text()
  }
  const bareSeconds = await drain(db.url, { 'bare.article': bareArticle }, CONCURRENCY, () => utils.addJobs(Array.from({ length: ARTICLES }, (_, n) => ({ identifier: 'bare.article', payload: { n } }))).then(() => {}))
  const oursSeconds = await drain(db.url, aiTasks, CONCURRENCY, () => utils.addJobs(keywords.slice(0, ARTICLES).map((id) => articleJob(id))).then(() => {}))
  row(`articles: bare worker + same model calls`, { articles: ARTICLES, concurrency: CONCURRENCY, 'tokens/s': TOKENS_PER_SECOND, seconds: bareSeconds.toFixed(1), 'articles/min': ((ARTICLES / bareSeconds) * 60).toFixed(1) })
  row(`articles: postforge article.generate`, { articles: ARTICLES, seconds: oursSeconds.toFixed(1), 'articles/min': ((ARTICLES / oursSeconds) * 60).toFixed(1), ratio: (bareSeconds / oursSeconds).toFixed(3) })

  // 3. Overhead per article, one at a time, model time excluded.
  const serial = keywords.slice(ARTICLES, ARTICLES + Math.min(3, ARTICLES))
  const serialSeconds = await drain(db.url, aiTasks, 1, () => utils.addJobs(serial.map((id) => articleJob(id))).then(() => {}))
  const { sql } = await import('@payloadcms/db-postgres')
  const latency = await payload.db.drizzle.execute(sql`
    select coalesce(sum(r.latency_ms), 0)::float as ms from ai_runs r join articles a on a.id = r.article_id
    where a.main_keyword_id in (${sql.join(serial.map((id) => sql`${id}`), sql`, `)})`)
  const modelMs = Number((latency.rows[0] as { ms: number }).ms)
  const overheadMs = (serialSeconds * 1000 - modelMs) / serial.length
  row('overhead per article (excl. model)', { articles: serial.length, 'wall s/article': (serialSeconds / serial.length).toFixed(2), 'model s/article': (modelMs / 1000 / serial.length).toFixed(2), 'overhead ms/article': Math.round(overheadMs) })
  }

  // 4. A long article at LONG_TPS tokens/s, order to "in review": sections one at a time, then 4 at once.
  const SECTIONS = ['Что такое свежая обжарка', 'Арабика и робуста', 'Степени обжарки', 'Помол под способ заваривания', 'Турка', 'Воронка и кемекс', 'Эспрессо дома', 'Вода и температура', 'Как хранить зерно']
  fake.reply('article.outline', JSON.stringify({ title: 'Как выбрать кофе в зернах: полный гид', outline: SECTIONS.map((heading) => ({ level: 'h2', heading, notes: heading.toLowerCase() })) }))
  // A section as long as its prompt asks ("about N words"), a token a word.
  fake.reply('article.section', (_body, prompt) => {
    const wanted = Number(/(?:около|about) (\d+)/.exec(prompt)?.[1] ?? 560)
    const heading = /(?:Раздел|Section):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? ''
    const vocabulary = ['кофе', 'зерно', 'обжарка', 'вкус', 'помол', 'турка', 'аромат', 'чашка', 'вода', 'время', 'свежий', 'кислотность']
    const words = Array.from({ length: wanted }, (_, i) => (i % 14 === 13 ? `${vocabulary[i % 12]}.` : vocabulary[i % 12]))
    return `**${heading}.** ${words.join(' ')}`
  })
  fake.setModel('test/primary', { tokensPerSecond: LONG_TPS })
  const longKeywords: number[] = []
  for (let i = 0; i < 2; i += 1) longKeywords.push((await payload.create({ collection: 'keywords', data: { phrase: `кофе в зернах полный гид ${i}`, project: project.id } as never })).id)
  const longSeconds: Record<number, number> = {}
  for (const [n, sectionConcurrency] of [1, 4].entries()) {
    process.env.AI_SECTION_CONCURRENCY = String(sectionConcurrency)
    ;(await import('../src/lib/env')).reloadEnv()
    const seconds = await drain(db.url, aiTasks, 1, () => utils.addJobs([articleJob(longKeywords[n], 'xlong')]).then(() => {}))
    const article = (await payload.find({ collection: 'articles', where: { mainKeyword: { equals: longKeywords[n] } }, depth: 0, limit: 1 })).docs[0]
    longSeconds[sectionConcurrency] = seconds
    row(`long article, ${sectionConcurrency} section(s) at once`, {
      'tokens/s': LONG_TPS,
      words: article?.wordCount ?? 0,
      sections: article?.generation?.sections?.length ?? 0,
      status: article?.workflowStatus ?? '?',
      'order→review s': seconds.toFixed(1),
      ...(sectionConcurrency > 1 ? { speedup: (longSeconds[1] / seconds).toFixed(2) } : {}),
    })
  }
  await utils.release()
  // The scratch database is dropped with its connections: Payload's idle pool must not crash on it.
  ;(payload.db as unknown as { pool?: { on: (event: 'error', fn: () => void) => void } }).pool?.on('error', () => {})
} finally {
  await fake.close()
  await db.drop()
}
process.exit(0)
