import { sql } from '@payloadcms/db-postgres'
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker'
import type { Payload } from 'payload'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { testConnection } from '../../src/connections/service'
import { buildTaskList } from '../../src/jobs/taskList'
import { seal } from '../../src/lib/crypto'
import { idOf } from '../../src/lib/ids'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { wordpressConnector } from '../../src/publishing/connectors/wordpress'
import { publishItemFor } from '../../src/publishing/item'
import { resolveUnconfirmed } from '../../src/publishing/lookup'
import { publishOne } from '../../src/publishing/publish'
import { verifyConnection } from '../../src/publishing/verify'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { startFakeWordpress } from '../fakes/wordpress'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { rest } from '../helpers/rest'
import { testPayload } from '../helpers/payload'
import { waitFor } from '../helpers/wait'

// Migrated by the global set-up (see tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_publish_wordpress'
let payload: Payload
let t: Tenant
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
let bot: Awaited<ReturnType<typeof startFakeTelegram>>
let blogId: number
let runner: Runner
let utils: WorkerUtils
const savedEnv = { ...process.env }

beforeAll(async () => {
  wp = await startFakeWordpress({ seo: 'yoast' })
  bot = await startFakeTelegram()
  // GRAPHILE_WORKER_SCHEMA: publish jobs and notices queued by writes land in this file's queue.
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: `123456:${'W'.repeat(35)}`, TELEGRAM_API_ROOT: bot.url, PUBLISH_HTTP_TIMEOUT_MS: '1000', FETCH_ALLOW_PRIVATE: 'true', GRAPHILE_WORKER_SCHEMA: SCHEMA })
  reloadEnv()
  resetTelegramClient()
  payload = await testPayload()
  t = await createTenant(payload)
  blogId = (await connection('Blog', wp.password)).id
  runner = await run({
    connectionString: process.env.DATABASE_URL,
    schema: SCHEMA,
    concurrency: 2,
    taskList: buildTaskList(async () => payload),
    noHandleSignals: true,
    preset: { worker: { pollInterval: 100 } },
    logger: new Logger(() => () => {}),
  })
  utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL, schema: SCHEMA, logger: new Logger(() => () => {}) })
})

afterAll(async () => {
  await runner?.stop()
  await utils?.release()
  await wp?.close()
  await bot?.close()
  process.env = savedEnv
  reloadEnv()
})

async function connection(name: string, password: string) {
  return payload.create({
    collection: 'connections',
    data: { displayName: name, platform: 'wordpress', project: t.project.id, credentials: { siteUrl: `${wp.url}/`, username: wp.username, applicationPassword: password } } as never,
  })
}

async function jpeg(alt: string) {
  const data = await sharp({ create: { width: 16, height: 9, channels: 3, background: '#6b3e26' } }).jpeg().toBuffer()
  return payload.create({
    collection: 'media',
    data: { alt, project: t.project.id } as never,
    file: { data, mimetype: 'image/jpeg', name: `wp-${Date.now()}-${Math.random().toString(36).slice(2)}.jpg`, size: data.length },
  })
}

async function scheduledArticle(marker: string, extra: Record<string, unknown> = {}, connectionId = blogId) {
  const editor = await createStaff(payload, ['editor'])
  const article = await payload.create({
    collection: 'articles',
    data: {
      title: `Как выбрать кофемолку ${marker}`,
      project: t.project.id,
      workflowStatus: 'in_review',
      excerpt: 'Коротко о жерновах.',
      body: lexical(`Жернова важнее мотора ${marker}.\n\nКонические или плоские?`),
      ...extra,
    } as never,
  })
  await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  // Planned for tomorrow, so the job added with it waits (a test publishes it itself or queues
  // it for now); then the clock moves on: it is due now, which WordPress posts at once.
  const planned = await payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection: connectionId, article: article.id, plannedAt: new Date(Date.now() + 86_400_000).toISOString() } as never,
  })
  await payload.db.drizzle.execute(sql`update publications set planned_at = now() where id = ${planned.id}`)
  const publication = await payload.findByID({ collection: 'publications', id: planned.id, depth: 0, overrideAccess: true })
  return { article, publication }
}

const postsWith = (marker: string) => wp.state.posts.filter((p) => p.title.includes(marker))
const publication = (id: number) => payload.findByID({ collection: 'publications', id, overrideAccess: true })

async function jobs(key: string): Promise<{ key: string; run_at: Date; payload: unknown; attempts: number }[]> {
  const { rows } = await utils.withPgClient((c) => c.query(`select key, run_at, payload, attempts from ${SCHEMA}._private_jobs where key = $1`, [key]))
  return rows
}

describe('publishing to WordPress', () => {
  it('publishes an article as HTML with slug, terms, featured image and Yoast meta, and stores the link', async () => {
    const keyword = await payload.create({
      collection: 'keywords',
      data: { project: t.project.id, phrase: 'кофемолка жерновая', cluster: 'Кофемолки' } as never,
    })
    wp.state.terms.categories.push({ id: 5, name: 'Кофемолки' })
    const image = await jpeg('Жерновая кофемолка')
    const { article, publication: pub } = await scheduledArticle('wp-1', {
      slug: 'kak-vybrat-kofemolku',
      metaTitle: 'Кофемолка: как выбрать',
      metaDescription: 'Жернова, помол и цена: что важно при выборе кофемолки.',
      mainKeyword: keyword.id,
      images: [image.id],
    })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })

    const [post] = postsWith('wp-1')
    expect(post).toMatchObject({ status: 'publish', slug: 'kak-vybrat-kofemolku', excerpt: 'Коротко о жерновах.', categories: [5] })
    expect(post.content).toContain('<p>Жернова важнее мотора wp-1.</p>')
    // The marker is random per publication and stored before the call, never just the database id.
    const { marker } = await publication(pub.id)
    expect(marker).toMatch(new RegExp(`^${pub.id}-[0-9a-f]{16}$`))
    expect(post.content).toContain(`<!-- postforge-publication-${marker} -->`)
    expect(post.meta).toEqual({ _yoast_wpseo_title: 'Кофемолка: как выбрать', _yoast_wpseo_metadesc: 'Жернова, помол и цена: что важно при выборе кофемолки.' })
    expect(wp.state.terms.tags.map((tag) => tag.name)).toContain('кофемолка жерновая')
    expect(post.tags).toEqual([wp.state.terms.tags.find((tag) => tag.name === 'кофемолка жерновая')!.id])
    const media = wp.state.media.find((m) => m.id === post.featured_media)!
    expect(media).toMatchObject({ type: 'image/jpeg', alt: 'Жерновая кофемолка' })
    expect(media.size).toBeGreaterThan(100)

    const fresh = await publication(pub.id)
    expect(fresh).toMatchObject({ status: 'published', remoteId: String(post.id), remoteUrl: `${wp.url}/kak-vybrat-kofemolku/` })
    expect((await payload.findByID({ collection: 'articles', id: article.id })).workflowStatus).toBe('published')
  })

  it('without an SEO plugin exposing its fields (even one removed since we looked), the meta description becomes the excerpt', async () => {
    wp.state.seo = null
    const other = await connection('Plain blog', wp.password)
    const { publication: pub } = await scheduledArticle('wp-2', { metaDescription: 'Описание для поисковиков.' }, other.id)
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const [post] = postsWith('wp-2')
    expect(post.excerpt).toBe('Описание для поисковиков.')
    expect(post.meta).toEqual({})
    wp.state.seo = 'yoast'
  })

  it('a title and excerpt with HTML in them reach WordPress as text, escaped like the body', async () => {
    const title = 'Meta </script><img src=x onerror=alert(1)> & <b> wp-html'
    const { publication: pub } = await scheduledArticle('wp-html', { title, excerpt: 'Кратко <img src=x onerror=alert(2)> & всё' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    const sent = wp.callsTo('POST /posts').find((c) => String(c.body.title).includes('wp-html'))!
    expect(sent.body.title).toBe('Meta &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt; wp-html')
    expect(sent.body.excerpt).toBe('Кратко &lt;img src=x onerror=alert(2)&gt; &amp; всё')
    expect(String(sent.body.content)).not.toMatch(/<img src=x|<\/script>/)
  })

  it('429 with Retry-After: the publish job re-queues itself with that delay, nothing fails', async () => {
    const { publication: pub } = await scheduledArticle('wp-3')
    wp.fail('POST /posts', { status: 429, body: { code: 'too_many_requests', message: 'Slow down' }, headers: { 'Retry-After': '300' } })
    const before = Date.now()
    await utils.addJob('publication.publish', { publicationId: pub.id }, { jobKey: `publish:${pub.id}`, maxAttempts: 1 })
    // The retry moves the publication's one job (same key) to the Retry-After instant.
    const [retry] = await waitFor(async () => {
      const found = await jobs(`publish:${pub.id}`)
      return found.some((job) => new Date(job.run_at).getTime() > before + 60_000) ? found : undefined
    })
    expect(new Date(retry.run_at).getTime()).toBeGreaterThanOrEqual(before + 300_000)
    expect(new Date(retry.run_at).getTime()).toBeLessThan(Date.now() + 310_000)
    const fresh = await publication(pub.id)
    expect(fresh.status).toBe('queued')
    expect(fresh.lastError).toMatch(/try again automatically/)
    expect(postsWith('wp-3')).toHaveLength(0)
  })

  it('a 5xx goes back to the queue with backoff, and the next attempt publishes', async () => {
    const { publication: pub } = await scheduledArticle('wp-4')
    wp.fail('POST /posts', { status: 503, body: { code: 'service_unavailable', message: 'Maintenance' } })
    const before = Date.now()
    const outcome = await publishOne(payload, pub.id)
    expect(outcome.result).toBe('retry')
    if (outcome.result === 'retry') expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    expect((await publication(pub.id)).status).toBe('queued')
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'published' })
    expect(postsWith('wp-4')).toHaveLength(1)
  })

  it('a wrong application password fails with what to do, asks to reconnect and tells the customer', async () => {
    const broken = await connection('Old password blog', 'wrong password 1234')
    const { publication: pub } = await scheduledArticle('wp-5', {}, broken.id)
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    const fresh = await publication(pub.id)
    expect(fresh.lastError).toContain('reconnect the account')
    expect(fresh.lastError).not.toContain('wrong password 1234')
    expect((await payload.findByID({ collection: 'connections', id: broken.id, overrideAccess: true })).status).toBe('needs_reconnect')
    // The notice was queued with the outcome; this file's runner sends it.
    const told = await waitFor(() => {
      const sent = bot.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId && String(c.params.text).includes('Could not publish'))
      return sent.length > 0 ? sent : undefined
    })
    expect(told).toHaveLength(1)
    expect(told[0].params.text).toContain('wp-5')
    expect(told[0].params.text).toContain('“Old password blog”')
    expect(told[0].params.text).toContain('reconnect the account')
    expect(postsWith('wp-5')).toHaveLength(0)
  })

  it('a timeout is unconfirmed, and the lookup job finds the post without posting it again', async () => {
    const { article, publication: pub } = await scheduledArticle('wp-6')
    wp.fail('POST /posts', { hang: 'after' })
    await utils.addJob('publication.publish', { publicationId: pub.id }, { jobKey: `publish:${pub.id}`, maxAttempts: 1 })
    await waitFor(async () => ((await publication(pub.id)).status === 'unconfirmed' ? true : undefined))
    const [lookup] = await waitFor(async () => ((await jobs(`lookup:${pub.id}`)).length ? jobs(`lookup:${pub.id}`) : undefined))
    expect(lookup.payload).toEqual({ publicationIds: [pub.id] })
    expect(postsWith('wp-6')).toHaveLength(1)

    // Run the lookup now rather than in a minute.
    await utils.addJob('publications.sweep', { publicationIds: [pub.id] }, { jobKey: `lookup:${pub.id}`, jobKeyMode: 'replace', maxAttempts: 1 })
    // The status flips first (atomically, from unconfirmed only); its history line follows it.
    const settled = await waitFor(async () => {
      const fresh = await publication(pub.id)
      return fresh.status === 'published' && fresh.history?.at(-1)?.status === 'published' ? fresh : undefined
    })
    expect(settled.remoteId).toBe(String(postsWith('wp-6')[0].id))
    expect(settled.history?.at(-1)?.message).toContain('not sent again')
    expect(postsWith('wp-6')).toHaveLength(1)
    expect(wp.callsTo('POST /posts').filter((c) => String(c.body.title).includes('wp-6'))).toHaveLength(1)
    await waitFor(async () => ((await payload.findByID({ collection: 'articles', id: article.id })).workflowStatus === 'published' ? true : undefined))
  })

  it('a recreated database (or a staging copy) on the same site does not take the other installation\'s post for its own', async () => {
    // The old installation published publication N; the database was then recreated, so a new
    // publication got the same id N, and its call never reached the site.
    const { publication: before } = await scheduledArticle('wp-9')
    expect(await publishOne(payload, before.id)).toMatchObject({ result: 'published' })
    await payload.delete({ collection: 'publications', id: before.id, overrideAccess: true })
    const { publication: again } = await scheduledArticle('wp-9')
    await payload.db.drizzle.execute(sql`update publications set id = ${before.id} where id = ${again.id}`)
    wp.fail('POST /posts', { hang: 'drop' })
    expect(await publishOne(payload, before.id)).toMatchObject({ result: 'unconfirmed' })
    expect(postsWith('wp-9')).toHaveLength(1)

    expect(await resolveUnconfirmed(payload, before.id)).toBe('not_found')
    expect((await publication(before.id)).status).toBe('unconfirmed')
  })

  it('two installations publishing on one site each find only their own post', async () => {
    const { article, publication: pub } = await scheduledArticle('wp-10')
    const item = publishItemFor('wordpress', { article: await payload.findByID({ collection: 'articles', id: article.id, depth: 1 }) }, pub)
    const credentials = { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password }
    const staging = { ...item, marker: `${pub.id}-${'a'.repeat(16)}` }
    const production = { ...item, marker: `${pub.id}-${'b'.repeat(16)}` }
    const made = await wordpressConnector.publish(staging, credentials)
    expect(await wordpressConnector.lookup!(production, credentials)).toEqual([])
    const other = await wordpressConnector.publish(production, credentials)
    expect(await wordpressConnector.lookup!(staging, credentials)).toEqual([made])
    expect(await wordpressConnector.lookup!(production, credentials)).toEqual([other])
  })

  it('finds its post behind more than a page of near matches, and a longer marker containing ours never counts', async () => {
    const { publication: pub } = await scheduledArticle('wp-11')
    wp.fail('POST /posts', { hang: 'after' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    const [ours] = postsWith('wp-11')
    const token = /<!-- (postforge-\S+) -->/.exec(ours.content)![1]
    // Newer posts whose marker starts with ours (publication 1 vs 12), and one quoting our
    // marker under another title: the search returns them all, first.
    for (let i = 0; i < 120; i++) {
      wp.state.posts.push({ ...ours, id: 10_000 + i, slug: `near-${i}`, content: `<p>x</p>\n<!-- ${token}${i} -->` })
    }
    wp.state.posts.push({ ...ours, id: 20_000, slug: 'copy', title: 'Someone else', content: ours.content })
    const before = wp.callsTo('GET /posts').length
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('found')
    expect((await publication(pub.id)).remoteId).toBe(String(ours.id))
    // Ours is on the second page of 100.
    const searches = wp.callsTo('GET /posts').slice(before)
    expect(searches.map((c) => [c.query.get('page'), c.query.get('per_page')])).toEqual([['1', '100'], ['2', '100']])
  })

  it('a marker that only starts with ours does not confirm', async () => {
    const { publication: pub } = await scheduledArticle('wp-12')
    wp.fail('POST /posts', { hang: 'drop' })
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'unconfirmed' })
    const fresh = await publication(pub.id)
    const item = publishItemFor('wordpress', { article: await payload.findByID({ collection: 'articles', id: idOf(fresh.article)!, depth: 1 }) }, fresh)
    const longer = { ...item, marker: `${item.marker}2` }
    await wordpressConnector.publish(longer, { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password })
    expect(await resolveUnconfirmed(payload, pub.id)).toBe('not_found')
    expect((await publication(pub.id)).status).toBe('unconfirmed')
  })

  it('stored credentials that no longer fit the platform ask to reconnect, naming the field: no call, no crash', async () => {
    const stale = await connection('Stale blog', wp.password)
    // As an older version (or a hand edit) could have left it: sealed, but without the password.
    const blob = JSON.stringify(seal({ siteUrl: wp.url, username: wp.username }))
    await payload.db.drizzle.execute(sql`update connections set credentials = ${blob}::jsonb where id = ${stale.id}`)
    const { publication: pub } = await scheduledArticle('wp-stale', {}, stale.id)
    const calls = wp.calls.length
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    const fresh = await publication(pub.id)
    expect(fresh.lastError).toContain('reconnect the account')
    expect(fresh.lastError).toContain('applicationPassword')
    expect(fresh.lastError).not.toContain(wp.username)
    expect((await payload.findByID({ collection: 'connections', id: stale.id, overrideAccess: true })).status).toBe('needs_reconnect')
    expect(wp.calls.length).toBe(calls)

    // The customer's "test the connection" says the same instead of failing.
    await payload.update({ collection: 'connections', id: stale.id, data: { status: 'active' }, overrideAccess: true })
    const tested = await testConnection(payload, t.account, stale.id)
    expect(tested.result).toMatchObject({ ok: false, code: 'verify.invalid_credentials' })
    expect(tested.connection.status).toBe('needs_reconnect')
    expect(wp.calls.length).toBe(calls)
  })

  it('content WordPress would refuse fails before any call, with a clear reason', async () => {
    const { publication: pub } = await scheduledArticle('wp-7', { slug: 'Плохой slug!' })
    const calls = wp.calls.length
    expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    expect((await publication(pub.id)).lastError).toBe('The content does not fit this platform: The slug may only hold lower-case Latin letters, digits and hyphens.')
    expect(wp.calls.length).toBe(calls)
  })

  it('credentials are opened only inside the job: not in the job payload, the database row or the reasons', async () => {
    const { publication: pub } = await scheduledArticle('wp-8')
    await utils.addJob('publication.publish', { publicationId: pub.id }, { jobKey: `publish:${pub.id}`, maxAttempts: 1 })
    await waitFor(async () => ((await publication(pub.id)).status === 'published' ? true : undefined))
    const { rows } = await utils.withPgClient((c) => c.query(`select payload::text as p from ${SCHEMA}._private_jobs`))
    for (const row of rows) expect(row.p).not.toContain(wp.password)
    const { sql } = await import('@payloadcms/db-postgres')
    const stored = await payload.db.drizzle.execute(sql`select credentials::text as c from connections where id = ${blogId}`)
    expect(String(stored.rows[0].c)).not.toContain(wp.password)
    const api = await payload.findByID({ collection: 'connections', id: blogId, user: (await createStaff(payload, ['admin'])).user, overrideAccess: false })
    expect(JSON.stringify(api)).not.toContain(wp.password)
    // The site saw the password, so it was opened for the call.
    const auth = wp.callsTo('POST /posts').at(-1)!.headers.authorization!
    expect(Buffer.from(auth.replace('Basic ', ''), 'base64').toString()).toBe(`${wp.username}:${wp.password}`)
  })

  it('verifies a connection: fine, a wrong password, a stripped Authorization header, not WordPress', async () => {
    const good = { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password }
    expect(await verifyConnection('wordpress', good)).toEqual({ ok: true, displayName: `${new URL(wp.url).host} (Editor)` })
    expect(await verifyConnection('wordpress', { ...good, applicationPassword: 'nope nope nope' })).toMatchObject({ ok: false, code: 'verify.wordpress.wrong_password' })
    wp.state.stripAuth = true
    expect(await verifyConnection('wordpress', good)).toMatchObject({ ok: false, code: 'verify.wordpress.not_logged_in' })
    wp.state.stripAuth = false
    expect(await verifyConnection('wordpress', { ...good, siteUrl: `${wp.url}/not-wp` })).toMatchObject({ ok: false, code: 'verify.wordpress.not_wordpress' })
  })

  it('a site saved with a local address fails to publish with that reason, not "the platform rejected the content"', async () => {
    // This file's customer already has more connections than the free plan allows; limits are not the point here.
    await payload.update({ collection: 'accounts', id: t.account.id, data: { plan: 'agency' }, overrideAccess: true })
    const saved = await rest('POST', '/connections', {
      auth: t.auth,
      body: { displayName: 'Local blog', platform: 'wordpress', project: t.project.id, credentials: { siteUrl: 'http://127.0.0.1:4197', username: wp.username, applicationPassword: wp.password } },
    })
    expect(saved.status, JSON.stringify(saved.json)).toBe(201)
    const { publication: pub } = await scheduledArticle('wp-local', {}, saved.json.doc.id)
    process.env.FETCH_ALLOW_PRIVATE = 'false'
    reloadEnv()
    try {
      expect(await publishOne(payload, pub.id)).toMatchObject({ result: 'failed' })
    } finally {
      process.env.FETCH_ALLOW_PRIVATE = 'true'
      reloadEnv()
    }
    const seen = await rest('GET', `/publications/${pub.id}`, { auth: t.auth })
    expect(seen.json.status).toBe('failed')
    expect(seen.json.lastError).toContain('not reachable from the internet')
    expect(seen.json.lastError).not.toContain('rejected the content')
  })

  it('never reaches a private, loopback or metadata address typed as the site', async () => {
    process.env.FETCH_ALLOW_PRIVATE = 'false'
    reloadEnv()
    try {
      const before = wp.calls.length
      const good = { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password }
      expect(await verifyConnection('wordpress', good)).toMatchObject({ ok: false, code: 'verify.private_address' })
      expect(await verifyConnection('wordpress', { ...good, siteUrl: 'http://169.254.169.254' })).toMatchObject({ ok: false, code: 'verify.private_address' })
      expect(await verifyConnection('wordpress', { ...good, siteUrl: 'http://localhost:8080' })).toMatchObject({ ok: false, code: 'verify.private_address' })
      expect(wp.calls.length).toBe(before)
    } finally {
      process.env.FETCH_ALLOW_PRIVATE = 'true'
      reloadEnv()
    }
  })
})
