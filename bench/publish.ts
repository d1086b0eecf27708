/**
 * Publishing throughput: N scheduled publications (default 1,000), spread evenly over WordPress,
 * VK, Pinterest and Instagram connections, through the whole path: publication rows ->
 * graphile-worker `publication.publish` jobs -> publishOne (caps in Redis, atomic claim,
 * credentials opened, connector) -> fake platform servers speaking the real wire formats ->
 * remote id recorded. Compared with bare graphile-worker running the same number of no-op jobs
 * at the same concurrency, in the same run, on the same throwaway database.
 *
 *   npx tsx bench/publish.ts [publications=1000] [concurrency=10]
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'

import { Logger, makeWorkerUtils, run } from 'graphile-worker'
import sharp from 'sharp'

import { createMigratedDatabase } from '../tests/helpers/database'
import { startFakeInstagram } from '../tests/fakes/instagram'
import { startFakePinterest } from '../tests/fakes/pinterest'
import { startFakeVk } from '../tests/fakes/vk'
import { startFakeWordpress } from '../tests/fakes/wordpress'
import { percentile, row } from './lib'

const N = Number(process.argv[2] ?? 1000)
const CONCURRENCY = Number(process.argv[3] ?? 10)
const PLATFORMS = ['wordpress', 'vk', 'pinterest', 'instagram'] as const
const silent = new Logger(() => () => {})

const [wp, vk, pin, ig] = await Promise.all([startFakeWordpress(), startFakeVk(), startFakePinterest(), startFakeInstagram()])
ig.state.pollsUntilFinished = 0
Object.assign(process.env, {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  PAYLOAD_SECRET: 'bench-secret-that-is-long-enough-0123456789',
  CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  PAYLOAD_DB_PUSH: 'false',
  MEDIA_DIR: '.data/bench-media',
  DB_POOL_MAX: String(CONCURRENCY + 10),
  VK_API_BASE: vk.url,
  PINTEREST_API_BASE: pin.url,
  INSTAGRAM_GRAPH_BASE: ig.url,
  INSTAGRAM_POLL_INTERVAL_MS: '10',
  SERVER_URL: 'https://app.postforge.example',
  // The fake WordPress is on 127.0.0.1, where customers' site addresses may not point.
  FETCH_ALLOW_PRIVATE: 'true',
  // The platforms' own budgets would stretch a burst of 1,000 over minutes: lift them here.
  PUBLISH_CONNECTION_RATE_PER_MIN: '100000',
  PUBLISH_PLATFORM_CONCURRENCY: String(CONCURRENCY * 2),
})
delete process.env.TELEGRAM_BOT_TOKEN
process.stderr.write(`preparing a migrated database and ${N} publications…\n`)
const db = await createMigratedDatabase('bench_publish')
process.env.DATABASE_URL = db.url

const { getPayload } = await import('payload')
const { default: config } = await import('@payload-config')
const { buildTaskList } = await import('../src/jobs/taskList')
const { closeRedis } = await import('../src/lib/redis')
const { createTenant, lexical } = await import('../tests/helpers/fixtures')
const payload = await getPayload({ config })

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => make(start + k)))))
  }
  return out
}

try {
  const tenant = await createTenant(payload, { reviewPolicy: 'automatic', name: 'Bench' })
  const project = tenant.project.id
  mkdirSync(path.resolve(process.env.MEDIA_DIR!), { recursive: true })
  const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#7f5539' } }).jpeg().toBuffer()
  const media = await payload.create({
    collection: 'media',
    data: { alt: 'Bench', project } as never,
    file: { data: jpeg, mimetype: 'image/jpeg', name: `bench-${Date.now()}.jpg`, size: jpeg.length },
  })
  const credentials = {
    wordpress: { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password },
    vk: { groupId: vk.groupId, accessToken: vk.token },
    pinterest: { accessToken: 'pina_valid_access_token_000', boardId: pin.boardId, expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString() },
    instagram: { accessToken: ig.token, igUserId: ig.igUserId },
  }
  const connections = Object.fromEntries(
    await Promise.all(
      PLATFORMS.map(async (platform) => {
        const c = await payload.create({ collection: 'connections', data: { displayName: platform, platform, project, credentials: credentials[platform] } as never })
        return [platform, c.id] as const
      }),
    ),
  ) as Record<(typeof PLATFORMS)[number], number>

  const publicationIds = await inBatches(N, 8, async (i) => {
    const platform = PLATFORMS[i % PLATFORMS.length]
    const content =
      platform === 'wordpress'
        ? await payload.create({
            collection: 'articles',
            data: { title: `Bench article ${i}`, project, workflowStatus: 'in_review', excerpt: `Excerpt ${i}`, body: lexical(`Paragraph one of ${i}.\n\nParagraph two.`) } as never,
          })
        : await payload.create({
            collection: 'posts',
            data: { title: `Bench post ${i}`, project, workflowStatus: 'in_review', variants: [{ platform, text: `Bench post ${i} for ${platform}` }], media: platform === 'vk' ? [] : [media.id] } as never,
          })
    const publication = await payload.create({
      collection: 'publications',
      data: { project, connection: connections[platform], [platform === 'wordpress' ? 'article' : 'post']: content.id, plannedAt: new Date().toISOString() } as never,
    })
    return publication.id
  })

  const utils = await makeWorkerUtils({ connectionString: db.url, logger: silent })
  await utils.migrate()
  const pending = async () => {
    const { rows } = await utils.withPgClient((c) =>
      c.query(`select count(*) filter (where status in ('queued', 'publishing'))::int as open,
                      count(*) filter (where status = 'published')::int as published,
                      count(*) filter (where status not in ('queued', 'publishing', 'published'))::int as other
                 from publications where id = any($1)`, [publicationIds]),
    )
    return rows[0] as { open: number; published: number; other: number }
  }

  // Ours: the production worker's settings, the real task list, the real path.
  await utils.addJobs(publicationIds.map((id) => ({ identifier: 'publication.publish', payload: { publicationId: id }, jobKey: `publish:${id}`, maxAttempts: 1 })))
  const started = performance.now()
  const runner = await run({
    connectionString: db.url,
    concurrency: CONCURRENCY,
    maxPoolSize: CONCURRENCY + 2,
    taskList: buildTaskList(async () => payload),
    logger: silent,
    noHandleSignals: true,
    preset: { worker: { localQueue: { size: CONCURRENCY * 4 }, completeJobBatchDelay: 0, pollInterval: 1000 } },
  })
  const doneAt: number[] = []
  let last = 0
  for (;;) {
    const state = await pending()
    for (let k = last; k < state.published + state.other; k++) doneAt.push(performance.now() - started)
    last = state.published + state.other
    if (state.open === 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const seconds = (performance.now() - started) / 1000
  await runner.stop()
  const result = await pending()
  const remote = wp.state.posts.length + vk.state.posts.length + pin.state.pins.length + ig.state.media.length
  const ours = N / seconds
  row('postforge publish path', {
    publications: N,
    published: result.published,
    other: result.other,
    'remote posts': remote,
    seconds: seconds.toFixed(2),
    'publications/s': ours.toFixed(1),
  })
  const gaps = doneAt.map((at, k) => at - (doneAt[k - 1] ?? 0)).sort((a, b) => a - b)
  row('  per platform', { wordpress: wp.state.posts.length, vk: vk.state.posts.length, pinterest: pin.state.pins.length, instagram: ig.state.media.length })
  row('  completion gaps (20 ms polls)', { p50: `${percentile(gaps, 50).toFixed(0)}ms`, p99: `${percentile(gaps, 99).toFixed(0)}ms` })

  // Bare graphile-worker: the same number of no-op jobs, same concurrency, its defaults.
  await utils.withPgClient((c) => c.query('delete from graphile_worker._private_jobs'))
  await utils.addJobs(Array.from({ length: N }, (_, i) => ({ identifier: 'noop', payload: { n: i } })))
  const bareStart = performance.now()
  const bareRunner = await run({ connectionString: db.url, concurrency: CONCURRENCY, taskList: { noop: async () => {} }, logger: silent, noHandleSignals: true })
  for (;;) {
    const { rows } = await utils.withPgClient((c) => c.query('select count(*)::int as n from graphile_worker._private_jobs'))
    if (rows[0].n === 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const bareSeconds = (performance.now() - bareStart) / 1000
  await bareRunner.stop()
  await utils.release()
  const bare = N / bareSeconds
  row('bare graphile-worker (no-op jobs)', { jobs: N, seconds: bareSeconds.toFixed(2), 'jobs/s': bare.toFixed(1) })
  row('ratio publish path / bare', { ratio: (ours / bare).toFixed(3) })
} finally {
  // Dropping the database ends the connections Payload's pool still holds: expected, not a crash.
  ;(payload.db as unknown as { pool?: { on(event: 'error', fn: () => void): void } }).pool?.on('error', () => undefined)
  await payload.destroy().catch(() => undefined)
  await closeRedis()
  await Promise.all([wp.close(), vk.close(), pin.close(), ig.close()])
  await db.drop()
}
process.exit(0)
