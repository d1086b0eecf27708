import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'

import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { articleBody } from '../../src/ai/lexical'
import { reloadEnv } from '../../src/lib/env'
import { markStuckUnconfirmed } from '../../src/publishing/publications'
import { retryPublication } from '../../src/publishing/actions'
import { workerUtils } from '../../src/jobs/inspect'
import { publishOne } from '../../src/publishing/publish'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { deliverNotices } from '../helpers/notices'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { waitFor } from '../helpers/wait'
import { expectWholeInParts, markdownAsRead } from '../helpers/telegramText'

let payload: Payload
// Migrated by the global set-up (tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_publish_telegram'
let t: Tenant
let fake: Awaited<ReturnType<typeof startFakeTelegram>>
let channelId: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  fake = await startFakeTelegram()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`,
    TELEGRAM_API_ROOT: fake.url,
    PUBLISH_HTTP_TIMEOUT_MS: '1000',
    // This file's own queue: its publications' jobs and notices wait for this file's calls only.
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  payload = await testPayload()
  t = await createTenant(payload)
  const channel = await payload.create({
    collection: 'connections',
    data: { displayName: 'PF channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@pf_channel' } } as never,
  })
  channelId = channel.id
})

afterAll(async () => {
  await fake?.close()
  process.env = savedEnv
  reloadEnv()
})

async function scheduledPost(text: string, media: number[] = []) {
  const editor = await createStaff(payload, ['editor'])
  const post = await payload.create({
    collection: 'posts',
    data: { title: 'p', project: t.project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text }], media } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
  // The owner hears about the approval through the same Bot API: deliver that notice before a
  // test queues a failure for the next sendMessage, so the failure hits the publish call.
  await deliverNotices(payload)
  // Its publish job waits in this file's queue (no worker here): the tests publish it themselves.
  const publication = await payload.create({
    collection: 'publications',
    data: { project: t.project.id, connection: channelId, post: post.id, plannedAt: new Date().toISOString() } as never,
  })
  return { post, publication }
}

const ownerNotices = () => fake.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === t.account.telegramId)

const sentTo = (method: string, marker: string) => fake.calls.filter((c) => c.method === method && String(c.params.text ?? c.params.caption ?? '').includes(marker))

describe('publishing to a Telegram channel', () => {
  it('posts once, stores the remote id and link, and marks the post published', async () => {
    const { post, publication } = await scheduledPost('Свежая обжарка <эфиопия> & кения · marker-1')
    const outcome = await publishOne(payload, publication.id)
    expect(outcome).toMatchObject({ result: 'published' })
    const [call] = sentTo('sendMessage', 'marker-1')
    expect(call.params).toMatchObject({ chat_id: '@pf_channel', parse_mode: 'HTML', text: 'Свежая обжарка &lt;эфиопия&gt; &amp; кения · marker-1' })
    const fresh = await payload.findByID({ collection: 'publications', id: publication.id })
    expect(fresh.status).toBe('published')
    expect(fresh.remoteUrl).toBe(`https://t.me/pf_channel/${fresh.remoteId}`)
    expect((await payload.findByID({ collection: 'posts', id: post.id })).workflowStatus).toBe('published')
  })

  it('two workers at once publish it once', async () => {
    const { publication } = await scheduledPost('marker-2')
    const outcomes = await Promise.all([publishOne(payload, publication.id), publishOne(payload, publication.id), publishOne(payload, publication.id)])
    expect(outcomes.map((o) => o.result).sort()).toEqual(['published', 'skipped', 'skipped'])
    expect(sentTo('sendMessage', 'marker-2')).toHaveLength(1)
  })

  it('splits a long article at paragraphs into messages of at most 4,096 characters', async () => {
    const paragraph = `marker-3 ${'слово '.repeat(300)}`.trim()
    const editor = await createStaff(payload, ['editor'])
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Длинная статья', project: t.project.id, workflowStatus: 'in_review', excerpt: '', body: lexical(Array.from({ length: 6 }, () => paragraph).join('\n\n')) } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const publication = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: channelId, article: article.id, plannedAt: new Date().toISOString() } as never,
    })
    expect((await publishOne(payload, publication.id)).result).toBe('published')
    const parts = fake.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text).includes('marker-3'))
    expect(parts.length).toBeGreaterThanOrEqual(3)
    for (const part of parts) expect(String(part.params.text).length).toBeLessThanOrEqual(4096)
  })

  it('sends a photo with its caption as a multipart upload', async () => {
    const dir = path.resolve(process.cwd(), process.env.MEDIA_DIR!)
    mkdirSync(dir, { recursive: true })
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
    const filename = `tg-${Date.now()}.png`
    const media = await payload.create({
      collection: 'media',
      data: { alt: 'Зёрна', project: t.project.id } as never,
      file: { data: png, mimetype: 'image/png', name: filename, size: png.length },
    })
    const { publication } = await scheduledPost('marker-4 с фото', [media.id])
    expect((await publishOne(payload, publication.id)).result).toBe('published')
    const call = fake.calls.find((c) => c.method === 'sendPhoto' && String(c.params.caption).includes('marker-4'))!
    expect(call.files).toHaveLength(1)
    expect(String(call.params.photo)).toMatch(/^attach:\/\//)
  })

  it('429 with retry_after: back to queued with a reason, retried later, not failed', async () => {
    const { publication } = await scheduledPost('marker-5')
    fake.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 7', retryAfter: 7 })
    const before = Date.now()
    const outcome = await publishOne(payload, publication.id)
    expect(outcome.result).toBe('retry')
    if (outcome.result === 'retry') expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    const fresh = await payload.findByID({ collection: 'publications', id: publication.id })
    expect(fresh.status).toBe('queued')
    expect(fresh.lastError).toMatch(/try again automatically/)
    expect((await publishOne(payload, publication.id)).result).toBe('published')
  })

  it('a bot without rights in the channel fails with what to do, and the connection asks to reconnect', async () => {
    const { publication } = await scheduledPost('marker-6')
    fake.fail('sendMessage', { status: 403, description: 'Forbidden: bot is not a member of the channel chat' })
    const outcome = await publishOne(payload, publication.id)
    expect(outcome.result).toBe('failed')
    const fresh = await payload.findByID({ collection: 'publications', id: publication.id })
    expect(fresh.lastError).toContain('The bot has no access to the channel')
    const connection = await payload.findByID({ collection: 'connections', id: channelId })
    expect(connection.status).toBe('needs_reconnect')
    // The notice was queued with the failed outcome; the worker's task sends it.
    await deliverNotices(payload)
    const told = ownerNotices().find((c) => String(c.params.text).includes('Could not publish'))
    expect(told?.params.text).toContain('Could not publish “p” to “PF channel”')
    expect(told?.params.text).toContain('check its rights and reconnect')
    // Buttons that open the fix in the bot: the connection's card, and sending it again.
    const buttons = (told?.params.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard.flat()
    expect(buttons.map((b) => [b.text, b.callback_data])).toEqual([
      ['🔌 Reconnect', `n:o:${channelId}`],
      ['🔁 Publish again', `u:r:${publication.id}`],
    ])
    await payload.update({ collection: 'connections', id: channelId, data: { status: 'active' } })

    // The customer presses "Publish again" once the bot is back in the channel.
    await retryPublication(payload, t.account, publication.id)
    const again = await payload.findByID({ collection: 'publications', id: publication.id })
    expect(again).toMatchObject({ status: 'queued', attempts: 0 })
    const { rows } = await (await workerUtils()).withPgClient((c) =>
      c.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.jobs where key = $1`, [`publish:${publication.id}`]),
    )
    expect(rows[0].n).toBe(1)
    expect((await publishOne(payload, publication.id)).result).toBe('published')
    expect(sentTo('sendMessage', 'marker-6')).toHaveLength(2)
    // Only a failed publication can be sent again by its owner.
    await expect(retryPublication(payload, t.account, publication.id)).rejects.toThrow()
  })

  it('a call that times out is unconfirmed and never re-sent', async () => {
    const { publication } = await scheduledPost('marker-7')
    fake.fail('sendMessage', 'hang')
    expect((await publishOne(payload, publication.id)).result).toBe('unconfirmed')
    expect((await publishOne(payload, publication.id)).result).toBe('skipped')
    expect(sentTo('sendMessage', 'marker-7')).toHaveLength(1)
    const fresh = await payload.findByID({ collection: 'publications', id: publication.id })
    expect(fresh.lastError).toContain("we don't know whether this went out")
  })

  it('a worker killed after the remote call but before recording it never double-posts', async () => {
    const { publication } = await scheduledPost('marker-8')
    fake.fail('sendMessage', 'hang')
    const child = spawn('node_modules/.bin/tsx', ['tests/helpers/publishOnce.ts', String(publication.id)], {
      env: { ...process.env, PUBLISH_HTTP_TIMEOUT_MS: '60000' },
      stdio: 'ignore',
      // tsx runs the script in a child node process: the kill must reach the whole group.
      detached: true,
    })
    // Until the call reaches Telegram (or the worker dies first): starting Payload in a fresh
    // process takes a while on a busy machine.
    await waitFor(() => sentTo('sendMessage', 'marker-8').length > 0 || child.exitCode !== null, undefined, 50)
    expect(sentTo('sendMessage', 'marker-8')).toHaveLength(1)
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(-child.pid!, 'SIGKILL')
    await exited

    expect((await payload.findByID({ collection: 'publications', id: publication.id })).status).toBe('publishing')
    expect((await publishOne(payload, publication.id)).result).toBe('skipped')
    const { sql } = await import('@payloadcms/db-postgres')
    await payload.db.drizzle.execute(sql`update publications set updated_at = now() - interval '1 hour' where id = ${publication.id}`)
    expect(await markStuckUnconfirmed(payload, 10 * 60_000, 'worker died')).toContain(publication.id)
    expect((await publishOne(payload, publication.id)).result).toBe('skipped')
    expect(sentTo('sendMessage', 'marker-8')).toHaveLength(1)
  })
})

const section = (n: number) =>
  [
    `${'Светлая обжарка сохраняет кислотность, тёмная даёт горечь и плотное тело. '.repeat(9)}**Вывод ${n}:** вода < 95 °C & свежий помол.`,
    `### Деталь ${n}`,
    `${'Дата обжарки важнее срока годности: через месяц аромат слабеет. '.repeat(8)}См. [гид](https://example.com/g?n=${n}&x=1).`,
    '- **клапан** на пакете\n- дата обжарки',
  ].join('\n\n')

describe('an article published to a Telegram channel', () => {
  it('goes out formatted like in the bot: headings and bold as HTML, whole, in valid messages of at most 4,096 characters', async () => {
    const sections = Array.from({ length: 7 }, (_, i) => ({ heading: `Раздел ${i + 1}`, level: 'h2' as const, markdown: section(i + 1) }))
    const editor = await createStaff(payload, ['editor'])
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Кофе & <зёрна>', project: t.project.id, workflowStatus: 'in_review', excerpt: '', body: articleBody(sections, [], '') } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const publication = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: channelId, article: article.id, plannedAt: new Date().toISOString() } as never,
    })
    const before = fake.calls.length
    expect((await publishOne(payload, publication.id)).result).toBe('published')

    const calls = fake.calls.slice(before).filter((c) => c.method === 'sendMessage' && c.params.chat_id === '@pf_channel')
    for (const call of calls) expect(call.params.parse_mode).toBe('HTML')
    const parts = calls.map((c) => String(c.params.text))
    const expected = ['Кофе & <зёрна>', ...sections.flatMap((s) => [s.heading, markdownAsRead(s.markdown)])].join('\n\n')
    expect(expected.length).toBeGreaterThan(8000)
    expectWholeInParts(parts, expected)
    expect(parts[0].startsWith('<b>Кофе &amp; &lt;зёрна&gt;</b>\n\n<b>Раздел 1</b>\n\n')).toBe(true)
    expect(parts.join('')).toContain('<b>Вывод 1:</b> вода &lt; 95 °C &amp; свежий помол.')
    expect(parts.join('')).toContain('<a href="https://example.com/g?n=1&amp;x=1">гид</a>')
  })
})
