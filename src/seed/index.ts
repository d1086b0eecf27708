import { randomBytes } from 'node:crypto'

import type { Payload } from 'payload'

import { seedPrompts } from '../ai/prompts'
import { SYSTEM_CONTEXT } from '../workflow/hooks'

type Paragraphs = string[]

function richText(paragraphs: Paragraphs) {
  return {
    root: {
      type: 'root',
      format: '' as const,
      indent: 0,
      version: 1,
      direction: 'ltr' as const,
      children: paragraphs.map((text) => ({
        type: 'paragraph',
        format: '' as const,
        indent: 0,
        version: 1,
        direction: 'ltr' as const,
        textFormat: 0,
        children: [{ type: 'text', text, format: 0, detail: 0, mode: 'normal', style: '', version: 1 }],
      })),
    },
  }
}

export type SeedResult = { adminEmail?: string; generatedPassword?: string; demo: boolean }

/**
 * First admin and demo content for a fresh database. Idempotent: it does nothing that exists.
 * The generated admin password is returned (never logged) so the CLI can print it once.
 */
export async function seed(
  payload: Payload,
  options: { adminEmail?: string; adminPassword?: string; /** Demo customer and content on an empty database (default true). */ demo?: boolean } = {},
): Promise<SeedResult> {
  const result: SeedResult = { demo: false }
  const { totalDocs: staff } = await payload.count({ collection: 'users' })
  if (staff === 0) {
    const email = options.adminEmail ?? 'admin@postforge.local'
    const password = options.adminPassword ?? randomBytes(12).toString('base64url')
    await payload.create({ collection: 'users', data: { email, password, name: 'Admin', roles: ['admin'] } })
    result.adminEmail = email
    if (!options.adminPassword) result.generatedPassword = password
  }

  // Prompt templates from src/ai/prompts (only the missing ones: staff edits are kept).
  await seedPrompts(payload)

  if (options.demo === false) return result
  const { totalDocs: accounts } = await payload.count({ collection: 'accounts' })
  if (accounts > 0) return result
  result.demo = true

  const account = await payload.create({
    collection: 'accounts',
    data: { telegramId: 100000001, username: 'demo_client', displayName: 'Демо-клиент', language: 'ru', timezone: 'Europe/Moscow', plan: 'free', status: 'active' },
  })
  const project = await payload.create({
    collection: 'projects',
    data: {
      name: 'Кофейня «Зерно»',
      account: account.id,
      niche: 'Спешелти-кофе и обжарка',
      description: 'Небольшая обжарочная и две кофейни в Казани; продаём зерно онлайн по всей России.',
      audience: 'Любители кофе 25–45 лет, которые варят дома в турке, воронке или кофемашине.',
      toneOfVoice: 'Дружелюбно и со знанием дела, без снобизма.',
      language: 'ru',
      timezone: 'Europe/Moscow',
      siteUrl: 'https://zerno.example',
      competitorUrls: [{ url: 'https://tastycoffee.example' }],
      reviewPolicy: 'staff',
      surveyAnswers: [
        { question: 'Что вы продаёте?', answer: 'Свежеобжаренное зерно, дрип-пакеты, аксессуары для заваривания.' },
        { question: 'Кто ваши клиенты?', answer: 'Домашние бариста и небольшие офисы.' },
      ],
    },
  })
  const phrases = [
    ['как выбрать кофе в зернах', 'Выбор зерна', 'informational'],
    ['купить кофе в зернах свежей обжарки', 'Покупка зерна', 'transactional'],
    ['кофе для турки какой помол', 'Заваривание', 'informational'],
    ['лучший кофе для кофемашины', 'Выбор зерна', 'commercial'],
  ] as const
  const keywords = []
  for (const [phrase, cluster, intent] of phrases) {
    keywords.push(
      await payload.create({ collection: 'keywords', data: { phrase, cluster, intent, project: project.id, source: 'ai', status: 'new', normalizedPhrase: phrase, account: account.id } }),
    )
  }
  await payload.create({
    collection: 'articles',
    context: SYSTEM_CONTEXT,
    data: {
      title: 'Как выбрать кофе в зёрнах: гид для домашнего бариста',
      project: project.id,
      account: account.id,
      workflowStatus: 'in_review',
      mainKeyword: keywords[0].id,
      metaTitle: 'Как выбрать кофе в зёрнах: простой гид',
      metaDescription: 'Обжарка, регион, способ заваривания: разбираем, на что смотреть при покупке зерна, чтобы кофе дома был вкусным.',
      body: richText([
        'Хороший кофе начинается с зерна. Дата обжарки важнее бренда: зерно раскрывается через несколько дней после обжарки и лучше всего в течение месяца.',
        'Для турки и эспрессо берите обжарку потемнее, для воронки и аэропресса подойдёт светлая.',
      ]),
      faq: [{ question: 'Сколько хранится кофе в зёрнах?', answer: 'Около месяца после обжарки в закрытом пакете с клапаном.' }],
    },
  })
  await payload.create({
    collection: 'articles',
    context: SYSTEM_CONTEXT,
    data: {
      title: 'Какой помол нужен для турки',
      project: project.id,
      account: account.id,
      workflowStatus: 'in_review',
      mainKeyword: keywords[2].id,
      body: richText(['Для турки нужен самый мелкий помол, почти в пудру.']),
    },
  })
  await payload.create({
    collection: 'posts',
    context: SYSTEM_CONTEXT,
    data: {
      title: 'Анонс: гид по выбору зерна',
      project: project.id,
      account: account.id,
      workflowStatus: 'in_review',
      variants: [
        { platform: 'telegram', text: 'Новый гид: как выбрать кофе в зёрнах и не ошибиться с обжаркой ☕️ #кофе #зерно' },
        { platform: 'vk', text: 'Рассказали, как выбрать кофе в зёрнах под ваш способ заваривания. #кофе' },
      ],
    },
  })
  return result
}
