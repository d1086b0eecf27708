import { sql } from '@payloadcms/db-postgres'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { reloadEnv } from '../../src/lib/env'
import type { Account, Project } from '../../src/payload-types'
import { publishOne } from '../../src/publishing/publish'
import { resetTelegramClient } from '../../src/telegram/client'
import { startFakeInstagram } from '../fakes/instagram'
import { startFakePinterest } from '../fakes/pinterest'
import { startFakeVk } from '../fakes/vk'
import { startFakeWordpress } from '../fakes/wordpress'
import { createStaff, lexical } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'

/**
 * Issue 11, items 10, 11 and 9: an article's FAQ and its FAQPage JSON-LD reach WordPress; a post
 * made from an article links to the live article or waits for it; every publication is announced
 * in the bot with its address, which the content's card shows too. A Russian customer in the bot,
 * fake WordPress, VK and Bot API; publications are published by the publish use case and the
 * notices delivered by the real notice task from this file's queue.
 */
// Migrated by the global set-up (tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_publish_links'
const CHANNEL = { id: -1001234500077, title: 'Кофейня', username: 'pf_coffee_links' }
let h: Harness
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
let vk: Awaited<ReturnType<typeof startFakeVk>>
let pin: Awaited<ReturnType<typeof startFakePinterest>>
let ig: Awaited<ReturnType<typeof startFakeInstagram>>
let boardId: number
let instagramId: number
let imageId: number
let user: TestUser
let account: Account
let project: Project
let blogId: number
let channelId: number
let wallId: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('publish-links')
  wp = await startFakeWordpress()
  vk = await startFakeVk()
  pin = await startFakePinterest()
  ig = await startFakeInstagram()
  Object.assign(process.env, {
    PINTEREST_API_BASE: pin.url,
    PINTEREST_CLIENT_ID: pin.clientId,
    PINTEREST_CLIENT_SECRET: pin.clientSecret,
    INSTAGRAM_GRAPH_BASE: ig.url,
    INSTAGRAM_POLL_INTERVAL_MS: '20',
    INSTAGRAM_POLL_MAX_MS: '2000',
    // Instagram fetches the image from a signed link on the public address.
    SERVER_URL: 'https://app.postforge.example',
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    VK_API_BASE: vk.url,
    PUBLISH_HTTP_TIMEOUT_MS: '2000',
    FETCH_ALLOW_PRIVATE: 'true',
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  resetTelegramClient()
  ;({ user, account } = await verifiedUser(h, { language: 'ru' }))
  project = await h.payload.create({
    collection: 'projects',
    data: { name: 'Кофейня', account: account.id, timezone: 'Europe/Moscow', language: 'ru' } as never,
    overrideAccess: true,
  })
  const connect = (displayName: string, platform: string, credentials: Record<string, unknown>) =>
    h.payload.create({ collection: 'connections', data: { displayName, platform, project: project.id, credentials } as never })
  blogId = (await connect('Блог', 'wordpress', { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password })).id
  // A public channel stored by its numeric id, as connecting it in the bot stores it.
  h.fake.addChat({ ...CHANNEL, type: 'channel' }, { status: 'administrator', can_post_messages: true })
  channelId = (await connect('Канал кофейни', 'telegram', { chatId: CHANNEL.id })).id
  wallId = (await connect('Стена ВК', 'vk', { groupId: vk.groupId, accessToken: vk.token })).id
  const expiresAt = new Date(Date.now() + 20 * 86_400_000).toISOString()
  boardId = (await connect('Pinterest · Кофе', 'pinterest', { accessToken: 'pina_valid_access_token_000', refreshToken: 'pinr_valid_refresh_token_000', expiresAt, boardId: pin.boardId })).id
  instagramId = (await connect('Instagram @zerno', 'instagram', { accessToken: ig.token, igUserId: ig.igUserId })).id
  const data = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#d4a373' } }).jpeg().toBuffer()
  imageId = (
    await h.payload.create({
      collection: 'media',
      data: { alt: 'Зёрна', project: project.id } as never,
      file: { data, mimetype: 'image/jpeg', name: `links-${Date.now()}.jpg`, size: data.length },
    })
  ).id
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await wp?.close()
  await vk?.close()
  await pin?.close()
  await ig?.close()
  await h?.close()
})

const FAQ = [
  { question: 'Сколько стоит <хорошая> кофемолка?', answer: 'От 5 000 ₽ & выше, если жернова стальные.' },
  { question: 'Что лучше: конические или плоские жернова?', answer: 'Конические тише и проще в уходе.\n\nПлоские дают ровнее помол.' },
]

async function approve(collection: 'articles' | 'posts', id: number) {
  const editor = await createStaff(h.payload, ['editor'])
  await h.payload.update({ collection, id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
}

async function approvedArticle(marker: string) {
  const article = await h.payload.create({
    collection: 'articles',
    data: {
      title: `Как выбрать кофемолку ${marker}`,
      project: project.id,
      workflowStatus: 'in_review',
      body: lexical(`Жернова важнее мотора ${marker}.`),
      faq: FAQ,
    } as never,
  })
  await approve('articles', article.id)
  return article
}

async function approvedPost(marker: string, articleId: number) {
  const post = await h.payload.create({
    collection: 'posts',
    data: {
      title: `Пост ${marker}`,
      project: project.id,
      workflowStatus: 'in_review',
      article: articleId,
      variants: ['telegram', 'vk', 'pinterest', 'instagram'].map((platform) => ({ platform, text: `Как выбрать кофемолку? ${marker}` })),
      media: [imageId],
    } as never,
  })
  await approve('posts', post.id)
  return post
}

/** A publication due now; its job waits in this file's queue, which no worker runs: the test publishes it. */
async function publication(connection: number, content: { article: number } | { post: number }) {
  return h.payload.create({
    collection: 'publications',
    data: { project: project.id, connection, ...content, plannedAt: new Date().toISOString() } as never,
  })
}

const fresh = (id: number) => h.payload.findByID({ collection: 'publications', id, overrideAccess: true })
const wpPost = (marker: string) => wp.state.posts.find((p) => p.title.includes(marker))!
const jsonLdIn = (content: string) => /<script type="application\/ld\+json">([^<]*)<\/script>/.exec(content)?.[1]

/** The notices the customer got since `from` (sendMessage calls to their chat). */
function noticesTo(from: number) {
  return h.fake.calls.slice(from).filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === user.id)
}

describe('item 10: the FAQ and its FAQPage JSON-LD reach WordPress', () => {
  it('publishes the FAQ as a section under the body and the JSON-LD as a script WordPress keeps', async () => {
    const article = await approvedArticle('faq-1')
    const pub = await publication(blogId, { article: article.id })
    expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })

    const { content } = wpPost('faq-1')
    // Questions as h3 under a heading in the article's language, HTML escaped; answers as paragraphs.
    expect(content).toContain('<h2>Частые вопросы</h2>')
    expect(content).toContain('<h3>Сколько стоит &lt;хорошая&gt; кофемолка?</h3>')
    expect(content).toContain('<p>Конические тише и проще в уходе.</p>')
    const json = jsonLdIn(content)
    expect(json, 'a JSON-LD script in the post').toBeDefined()
    // No character in it can end the script element early.
    expect(json).not.toMatch(/[<>&]/)
    expect(JSON.parse(json!)).toEqual({
      '@context': 'https://schema.org',
      '@type': 'FAQPage',
      mainEntity: FAQ.map((f) => ({ '@type': 'Question', name: f.question, acceptedAnswer: { '@type': 'Answer', text: f.answer } })),
    })
    // The section comes before the structured data and the marker comment stays last.
    expect(content.indexOf('Частые вопросы')).toBeLessThan(content.indexOf('application/ld+json'))
    expect(content.trimEnd().endsWith('-->')).toBe(true)
  })

  it('a user WordPress filters gets the FAQ without the script, not JSON shown as text, and staff see why', async () => {
    wp.state.unfilteredHtml = false
    try {
      const article = await approvedArticle('faq-2')
      const pub = await publication(blogId, { article: article.id })
      expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })
      const { content } = wpPost('faq-2')
      expect(content).toContain('<h3>Что лучше: конические или плоские жернова?</h3>')
      expect(content).not.toContain('FAQPage')
      expect((await fresh(pub.id)).history?.at(-1)?.message).toContain('wordpress.jsonld_not_allowed')
    } finally {
      wp.state.unfilteredHtml = true
    }
  })

  it('a site that filters scripts although the role lists unfiltered_html (multisite) is cleaned up at once', async () => {
    wp.state.ksesAnyway = true
    try {
      const article = await approvedArticle('faq-3')
      const pub = await publication(blogId, { article: article.id })
      expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })
      const posted = wp.state.posts.filter((p) => p.title.includes('faq-3'))
      expect(posted).toHaveLength(1)
      expect(posted[0].content).toContain('<h2>Частые вопросы</h2>')
      expect(posted[0].content).not.toContain('FAQPage')
      expect(wp.callsTo('POST /posts/:id')).toHaveLength(1)
      expect((await fresh(pub.id)).history?.at(-1)?.message).toContain('wordpress.jsonld_not_allowed')
    } finally {
      wp.state.ksesAnyway = null
    }
  })
})

describe('item 11: a post made from an article links back to it', () => {
  it('holds the post until its article is live, then posts it with the article\'s address', async () => {
    const article = await approvedArticle('link-1')
    const post = await approvedPost('link-1', article.id)
    const inChannel = await publication(channelId, { post: post.id })
    const onWall = await publication(wallId, { post: post.id })
    const onBoard = await publication(boardId, { post: post.id })
    const onInstagram = await publication(instagramId, { post: post.id })
    const onSite = await publication(blogId, { article: article.id })

    // The article is on its way but not out yet: the posts that would link wait, queued, saying why, and nothing is sent.
    for (const pub of [inChannel, onWall, onBoard]) {
      // "Later" counts from before the call, however long the call takes on a busy machine.
      const before = Date.now()
      const outcome = await publishOne(h.payload, pub.id)
      expect(outcome.result).toBe('retry')
      expect(outcome.result === 'retry' && outcome.runAt.getTime()).toBeGreaterThan(before + 5 * 60_000)
      const held = await fresh(pub.id)
      expect(held.status).toBe('queued')
      expect(held.lastError).toContain('Ждёт выхода статьи «Как выбрать кофемолку link-1»')
    }
    expect(h.fake.calls.filter((c) => String(c.params.text ?? c.params.caption ?? '').includes('link-1'))).toHaveLength(0)
    expect(vk.state.posts.filter((p) => p.text.includes('link-1'))).toHaveLength(0)
    expect(pin.state.pins.filter((p) => p.description.includes('link-1'))).toHaveLength(0)
    // The customer's queue in the bot says why they wait.
    await user.press(`u:l:${project.id}:1`)
    expect(user.lastText()).toContain('⏳ Ждёт выхода статьи «Как выбрать кофемолку link-1»: пост выйдет со ссылкой на неё')
    // An Instagram caption cannot hold a live link: that post does not wait.
    expect(await publishOne(h.payload, onInstagram.id)).toMatchObject({ result: 'published' })

    expect(await publishOne(h.payload, onSite.id)).toMatchObject({ result: 'published' })
    const articleUrl = (await fresh(onSite.id)).remoteUrl!
    expect(articleUrl).toBe(`${wp.url}/${wpPost('link-1').slug}/`)

    // Live now: each goes out carrying the article's address as its platform links.
    for (const pub of [inChannel, onWall, onBoard]) expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })
    const channelPost = h.fake.calls.find((c) => c.method === 'sendPhoto' && Number(c.params.chat_id) === CHANNEL.id && String(c.params.caption).includes('link-1'))!
    expect(channelPost.params.caption).toBe(`Как выбрать кофемолку? link-1\n\n${articleUrl}`)
    const [wall] = vk.state.posts.filter((p) => p.text.includes('link-1'))
    expect(wall.attachments).toContain(articleUrl)
    const [pinned] = pin.state.pins.filter((p) => p.description.includes('link-1'))
    expect(pinned.link).toBe(articleUrl)
  })

  it('an article the customer confirmed as out (no address known) does not hold its post: it goes without a link', async () => {
    const article = await approvedArticle('link-3')
    const post = await approvedPost('link-3', article.id)
    // The article's call timed out (unconfirmed); the customer says it is published, from the bot.
    const onSite = await publication(blogId, { article: article.id })
    await h.payload.db.drizzle.execute(sql`update publications set status = 'unconfirmed' where id = ${onSite.id}`)
    await user.press(`u:y:${onSite.id}`)
    expect(await fresh(onSite.id)).toMatchObject({ status: 'published', remoteUrl: null })

    const inChannel = await publication(channelId, { post: post.id })
    expect(await publishOne(h.payload, inChannel.id)).toMatchObject({ result: 'published' })
    const sent = h.fake.calls.find((c) => c.method === 'sendPhoto' && String(c.params.caption).includes('link-3'))!
    expect(sent.params.caption).toBe('Как выбрать кофемолку? link-3')
  })

  it('a post whose article is not on its way anywhere (never planned, or its publication failed) goes without a link instead of waiting for ever', async () => {
    const article = await approvedArticle('link-4')
    const post = await approvedPost('link-4', article.id)
    const inChannel = await publication(channelId, { post: post.id })
    expect(await publishOne(h.payload, inChannel.id)).toMatchObject({ result: 'published' })
    const sent = h.fake.calls.find((c) => c.method === 'sendPhoto' && String(c.params.caption).includes('link-4'))!
    expect(sent.params.caption).toBe('Как выбрать кофемолку? link-4')
  })

  it('a post of its own (no article) goes out at once, without a link', async () => {
    const post = await h.payload.create({
      collection: 'posts',
      data: { title: 'Свой пост', project: project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'Без статьи link-2' }] } as never,
    })
    await approve('posts', post.id)
    const pub = await publication(channelId, { post: post.id })
    expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })
    const sent = h.fake.calls.find((c) => c.method === 'sendMessage' && String(c.params.text).includes('link-2'))!
    expect(sent.params.text).toBe('Без статьи link-2')
  })
})

describe('item 9: every publication is announced with its address, which the content\'s card shows', () => {
  it('WordPress, Telegram channel, VK, Pinterest and Instagram: a "published" notice with the live link, and the links on the cards', async () => {
    const before = h.fake.calls.length
    const article = await approvedArticle('live-1')
    const post = await h.payload.create({
      collection: 'posts',
      data: {
        title: 'Пост live-1',
        project: project.id,
        workflowStatus: 'in_review',
        variants: ['telegram', 'vk', 'pinterest', 'instagram'].map((platform) => ({ platform, text: `Свежая обжарка live-1` })),
        media: [imageId],
      } as never,
    })
    await approve('posts', post.id)
    const onSite = await publication(blogId, { article: article.id })
    const pubs = {
      channel: await publication(channelId, { post: post.id }),
      wall: await publication(wallId, { post: post.id }),
      board: await publication(boardId, { post: post.id }),
      instagram: await publication(instagramId, { post: post.id }),
    }
    for (const pub of [onSite, ...Object.values(pubs)]) expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'published' })

    const url = async (id: number) => (await fresh(id)).remoteUrl
    const articleUrl = await url(onSite.id)
    expect(articleUrl).toBe(`${wp.url}/${wpPost('live-1').slug}/`)
    // Telegram names the channel's username in the sent message: the address is stored although
    // the connection holds the channel's numeric id.
    const telegramUrl = await url(pubs.channel.id)
    expect(telegramUrl).toBe(`https://t.me/${CHANNEL.username}/${(await fresh(pubs.channel.id)).remoteId}`)
    const [wall] = vk.state.posts.filter((p) => p.text.includes('live-1'))
    const vkUrl = await url(pubs.wall.id)
    expect(vkUrl).toBe(`https://vk.com/wall-${vk.groupId}_${wall.id}`)
    const [pinned] = pin.state.pins.filter((p) => p.description.includes('live-1'))
    const pinUrl = await url(pubs.board.id)
    expect(pinUrl).toBe(`https://www.pinterest.com/pin/${pinned.id}/`)
    const [media] = ig.state.media.filter((m) => m.caption.includes('live-1'))
    const instagramUrl = await url(pubs.instagram.id)
    expect(instagramUrl).toBe(`https://www.instagram.com/p/${media.id}/`)

    // One "published" notice per publication, in Russian, with the address in the text and on a button.
    await deliverNotices(h.payload)
    const told = noticesTo(before).filter((c) => /^📣 Опубликовано: «[^»]*live-1»/.test(String(c.params.text)))
    expect(told.map((c) => String(c.params.text)).sort()).toEqual(
      [
        `📣 Опубликовано: «Как выбрать кофемолку live-1» в «Блог».\n${articleUrl}`,
        `📣 Опубликовано: «Пост live-1» в «Канал кофейни».\n${telegramUrl}`,
        `📣 Опубликовано: «Пост live-1» в «Стена ВК».\n${vkUrl}`,
        `📣 Опубликовано: «Пост live-1» в «Pinterest · Кофе».\n${pinUrl}`,
        `📣 Опубликовано: «Пост live-1» в «Instagram @zerno».\n${instagramUrl}`,
      ].sort(),
    )
    const onArticle = told.find((c) => String(c.params.text).includes('«Блог»'))!
    const buttons = onArticle.params.reply_markup.inline_keyboard.flat()
    expect(buttons).toContainEqual({ text: '🔗 Открыть публикацию', url: articleUrl })
    expect(buttons).toContainEqual({ text: '📄 Открыть материал', callback_data: `c:o:a:${article.id}` })

    // The cards in the bot show where each went out.
    await user.press(`c:o:a:${article.id}`)
    expect(user.lastText()).toContain(`🔗 Опубликовано в «Блог»: ${articleUrl}`)
    await user.press(`c:o:p:${post.id}`)
    for (const [name, link] of [['Канал кофейни', telegramUrl], ['Стена ВК', vkUrl], ['Pinterest · Кофе', pinUrl], ['Instagram @zerno', instagramUrl]]) {
      expect(user.lastText()).toContain(`🔗 Опубликовано в «${name}»: ${link}`)
    }
  })
})
