import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { fitToLimit, generatePost, PostJob } from '../../src/ai/post'
import { idOf } from '../../src/lib/ids'
import { logger } from '../../src/lib/logger'
import type { Post } from '../../src/payload-types'
import type { FakeOpenAI } from '../fakes/openai'
import { useFakeAiWorld } from '../helpers/aiWorld'
import { createTenant, lexical, type Tenant } from '../helpers/fixtures'

const world = useFakeAiWorld()
let payload: Payload
let ai: FakeOpenAI
let t: Tenant
const LIMITS = { telegram: 4096, vk: 16384, pinterest: 500, instagram: 2200 } as const

beforeAll(async () => {
  ;({ payload, ai } = world)
  t = await createTenant(payload)
})

async function keyword(phrase: string) {
  return payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })
}

describe('social posts', () => {
  it('writes a variant per platform within its limit, with hashtags and a generated image with alt text', async () => {
    const kw = await keyword('кофе для турки')
    const long = 'Свежая обжарка меняет всё. '.repeat(120)
    ai.reply('post.variant', JSON.stringify({
      variants: ['telegram', 'vk', 'pinterest', 'instagram'].map((platform) => ({ platform, text: `${platform}: ${long}`, hashtags: ['кофе', '#турка', 'кофе'] })),
      imageAlt: 'Турка с кофе на плите',
    }))
    const outcome = await generatePost(payload, PostJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: kw.id }), { log: logger(), jobKey: `post.generate:keyword:${kw.id}` })
    const post = (await payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0 })) as Post
    expect(post.workflowStatus).toBe('in_review')
    expect(post.variants?.map((v) => v.platform)).toEqual(['telegram', 'vk', 'pinterest', 'instagram'])
    for (const variant of post.variants!) {
      const limit = variant.platform === 'telegram' ? 1024 : LIMITS[variant.platform as keyof typeof LIMITS]
      expect(variant.text.length, variant.platform).toBeLessThanOrEqual(limit)
      expect(variant.text.startsWith(`${variant.platform}: Свежая обжарка`)).toBe(true)
    }
    const vk = post.variants!.find((v) => v.platform === 'vk')!.text
    expect(vk.endsWith('#кофе #турка')).toBe(true)
    expect(post.media).toHaveLength(1)
    const media = await payload.findByID({ collection: 'media', id: Number(idOf(post.media![0])) })
    expect(media.alt).toBe('Турка с кофе на плите')
    expect(media.mimeType).toBe('image/png')
    expect(media.generatedFrom).toContain('coffee')
    const runs = await payload.find({ collection: 'ai-runs', where: { post: { equals: post.id } }, depth: 0 })
    expect(runs.docs.map((r) => r.task).sort()).toEqual(['image', 'image.prompt', 'post.variant'])
    // The customer reads platform names as people write them, not our ids.
    const said = world.bot.calls.filter((c) => c.params.chat_id === t.account.telegramId).map((c) => String(c.params.text))
    expect(said.at(-1)).toBe('✅ Post ready for: Telegram channel, VK, Pinterest, Instagram. Status: in review.')
  })

  it('posts without an image, saying why, when the provider cannot draw; Telegram then gets its full 4,096', async () => {
    const kw = await keyword('кофе для офиса')
    ai.refuseImages()
    ai.reply('post.variant', JSON.stringify({ variants: [{ platform: 'telegram', text: 'Кофе в офис. '.repeat(200), hashtags: ['офис'] }] }))
    const outcome = await generatePost(payload, PostJob.parse({ accountId: t.account.id, projectId: t.project.id, keywordId: kw.id, platforms: ['telegram', 'pinterest'] }), { log: logger(), jobKey: 'no-image' })
    const post = (await payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0 })) as Post
    expect(post.media ?? []).toHaveLength(0)
    expect(post.imageNote).toContain('сервис ИИ сейчас не рисует изображения')
    expect(post.imageNote).toContain('404')
    const telegram = post.variants!.find((v) => v.platform === 'telegram')!.text
    expect(telegram.length).toBeGreaterThan(1024)
    expect(telegram.length).toBeLessThanOrEqual(4096)
    expect(post.variants!.find((v) => v.platform === 'pinterest')!.text.length).toBeLessThanOrEqual(500)
  })

  it('writes a post about an article', async () => {
    const article = await payload.create({ collection: 'articles', data: { title: 'Гид по обжарке', project: t.project.id, body: lexical('Светлая обжарка подходит для воронки.') } as never })
    const outcome = await generatePost(payload, PostJob.parse({ accountId: t.account.id, projectId: t.project.id, articleId: article.id, withImage: false, platforms: ['vk'] }), { log: logger(), jobKey: 'about-article' })
    const post = (await payload.findByID({ collection: 'posts', id: outcome.postId, depth: 0 })) as Post
    expect(idOf(post.article)).toBe(article.id)
    expect(JSON.stringify(ai.requests[0].body.messages)).toContain('Светлая обжарка подходит для воронки.')
  })

  it('cuts at a sentence and keeps hashtags only while they fit', () => {
    expect(fitToLimit('Первое предложение здесь. Второе предложение подлиннее. Третье.', ['a1', 'b2'], 40)).toBe('Первое предложение здесь.\n\n#a1 #b2')
    expect(fitToLimit('Одно очень длинное предложение без точки до самого конца строки', [], 30)).toBe('Одно очень длинное…')
    expect(fitToLimit('Коротко.', ['кофе', 'зерно'], 20)).toBe('Коротко.\n\n#кофе')
  })
})
