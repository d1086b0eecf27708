import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generatePost, PostJob } from '../../src/ai/post'
import { workerUtils } from '../../src/jobs/inspect'
import { idOf } from '../../src/lib/ids'
import { logger } from '../../src/lib/logger'
import type { Account, Project } from '../../src/payload-types'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { startHarness, verifiedUser, type Harness, type TestUser } from './bot-harness'

const world = useFakeAiWorld()
let h: Harness
let png: Buffer

beforeAll(async () => {
  h = await startHarness('own-images')
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a80c0' } }).png().toBuffer()
})
afterAll(async () => {
  await h?.close()
})

async function project(account: Account, name: string) {
  return h.payload.create({ collection: 'projects', data: { name, account: account.id, reviewPolicy: 'owner' } as never, overrideAccess: true })
}

async function image(p: Project, alt: string) {
  return h.payload.create({
    collection: 'media',
    data: { alt, project: p.id } as never,
    file: { data: png, mimetype: 'image/png', name: `${alt.replace(/\W+/g, '-')}.png`, size: png.length },
    overrideAccess: true,
  })
}

let files = 0
function sendPhoto(user: TestUser) {
  const fileId = `own-photo-${++files}`
  h.fake.addFile(fileId, png, `photos/own_${files}.jpg`)
  return h.bot.handleUpdate(
    user.messageUpdate({ photo: [{ file_id: fileId, file_unique_id: `own${files}`, width: 64, height: 48, file_size: png.length }], caption: 'Наша витрина' }),
  )
}

async function jobPayload(key: string) {
  const { rows } = await (await workerUtils()).withPgClient((client) =>
    client.query<{ payload: Record<string, unknown> }>('select payload from graphile_worker._private_jobs where key = $1', [key]),
  )
  return rows[0]?.payload
}

describe("the customer's own image on posts and articles", () => {
  it('picks a library image for a post from its card; images of another project or account are refused', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const shop = await project(account, 'Магазин')
    const other = await project(account, 'Другой')
    const own = await image(shop, 'Витрина магазина')
    const foreignProject = await image(other, 'Чужой проект')
    const stranger = await verifiedUser(h)
    const foreignAccount = await image(await project(stranger.account, 'Theirs'), 'Their image')
    const post = await h.payload.create({
      collection: 'posts',
      data: { title: 'Пост о витрине', project: shop.id, variants: [{ platform: 'telegram', text: 'Текст' }] } as never,
      overrideAccess: true,
    })

    await user.press(`c:o:p:${post.id}`)
    const button = user.lastButtons().find((b) => b.text === '🖼 Своё изображение')
    expect(button?.callback_data).toBe(`c:im:p:${post.id}:1`)
    await user.press(button!.callback_data)
    expect(user.lastText()).toContain('Витрина магазина')
    expect(user.lastText()).not.toContain('Чужой проект')
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`c:is:p:${post.id}:${own.id}`)

    // Forged buttons: an image of another project of the same account, and another account's.
    await user.press(`c:is:p:${post.id}:${foreignProject.id}`)
    expect(user.alerts().at(-1)).toContain('из другого проекта')
    await user.press(`c:is:p:${post.id}:${foreignAccount.id}`)
    expect((await h.payload.findByID({ collection: 'posts', id: post.id, depth: 0, overrideAccess: true })).media ?? []).toEqual([])

    await user.press(`c:is:p:${post.id}:${own.id}`)
    expect(user.lastText()).toContain('Изображение поставлено')
    const saved = await h.payload.findByID({ collection: 'posts', id: post.id, depth: 0, overrideAccess: true })
    expect((saved.media ?? []).map((m) => idOf(m))).toEqual([own.id])
  })

  it('puts a photo sent now on an article, and a post made from that article uses it without drawing one', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const shop = await project(account, 'Статьи')
    const article = await h.payload.create({
      collection: 'articles',
      data: { title: 'Как выбрать шторы', project: shop.id } as never,
      overrideAccess: true,
    })
    await user.press(`c:im:a:${article.id}:1`)
    expect(user.lastText()).toContain('В библиотеке проекта пока нет изображений')
    await user.press(`c:iu:a:${article.id}`)
    expect(user.lastText()).toContain('Пришлите изображение')
    await sendPhoto(user)
    expect(user.lastText()).toContain('Изображение поставлено')
    const withImage = await h.payload.findByID({ collection: 'articles', id: article.id, depth: 0, overrideAccess: true })
    const [photoId] = (withImage.images ?? []).map((m) => Number(idOf(m)))
    const photo = await h.payload.findByID({ collection: 'media', id: photoId, depth: 0, overrideAccess: true })
    expect(photo.alt).toBe('Наша витрина')
    expect(idOf(photo.project)).toBe(shop.id)

    const outcome = await generatePost(
      h.payload,
      PostJob.parse({ accountId: account.id, projectId: shop.id, articleId: article.id, platforms: ['telegram'] }),
      { log: logger(), jobKey: `own-image-article-${article.id}` },
    )
    const post = await h.payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0, overrideAccess: true })
    expect((post.media ?? []).map((m) => Number(idOf(m)))).toEqual([photoId])
    const runs = await h.payload.find({ collection: 'ai-runs', where: { jobKey: { equals: `own-image-article-${article.id}` } }, overrideAccess: true })
    expect(runs.docs.map((r) => r.task)).toEqual(['post.variant'])
    expect(world.ai.requests.some((r) => r.path.includes('/images'))).toBe(false)
  })

  it('orders a post for a keyword with a chosen image: the job carries it and no image is drawn', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const shop = await project(account, 'Ключи')
    const own = await image(shop, 'Шторы в гостиной')
    const keyword = await h.payload.create({ collection: 'keywords', data: { phrase: 'шторы в гостиную', project: shop.id } as never, overrideAccess: true })

    await user.press(`k:o:${keyword.id}`)
    const button = user.lastButtons().find((b) => b.text === '🖼 Пост со своим изображением')
    expect(button?.callback_data).toBe(`c:im:k:${keyword.id}:1`)
    await user.press(button!.callback_data)
    await user.press(`c:is:k:${keyword.id}:${own.id}`)
    expect(user.lastText()).toContain('Пишу пост')
    const input = await jobPayload(`post.generate:keyword:${keyword.id}`)
    expect(input).toMatchObject({ keywordId: keyword.id, mediaId: own.id })

    const outcome = await generatePost(h.payload, PostJob.parse({ ...input, platforms: ['telegram'] }), { log: logger(), jobKey: `own-image-keyword-${keyword.id}` })
    const post = await h.payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0, overrideAccess: true })
    expect((post.media ?? []).map((m) => Number(idOf(m)))).toEqual([own.id])
    const runs = await h.payload.find({ collection: 'ai-runs', where: { jobKey: { equals: `own-image-keyword-${keyword.id}` } }, overrideAccess: true })
    expect(runs.docs.map((r) => r.task)).toEqual(['post.variant'])
  })
})
