import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tr } from '../../src/i18n'
import { workerUtils } from '../../src/jobs/inspect'
import { reloadEnv } from '../../src/lib/env'
import type { Account, Project } from '../../src/payload-types'
import { lexical } from '../helpers/fixtures'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('content')
})
afterAll(async () => {
  await h?.close()
})

async function newProject(account: Account, reviewPolicy: Project['reviewPolicy'] = 'owner') {
  return h.payload.create({
    collection: 'projects',
    data: { name: `Content ${reviewPolicy}`, account: account.id, reviewPolicy } as never,
    overrideAccess: true,
  })
}

async function keyword(project: Project, phrase: string) {
  return h.payload.create({
    collection: 'keywords',
    data: { phrase, project: project.id } as never,
    overrideAccess: true,
  })
}

async function jobCount(key: string) {
  const { rows } = await (
    await workerUtils()
  ).withPgClient((client) =>
    client.query<{ n: number }>(
      'select count(*)::int as n from graphile_worker.jobs where key = $1',
      [key],
    ),
  )
  return rows[0].n
}

async function jobPayload(key: string) {
  const { rows } = await (
    await workerUtils()
  ).withPgClient((client) =>
    client.query<{ payload: Record<string, unknown> }>(
      'select payload from graphile_worker._private_jobs where key = $1',
      [key],
    ),
  )
  return rows[0]?.payload
}

describe('asking for generation', () => {
  it('queues an article once however often the button is tapped, and a post for a keyword or an article', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const kw = await keyword(project, 'натяжные потолки')
    await user.press(`c:ga:${kw.id}`)
    expect(user.lastText()).toContain('How long should the article')
    expect(user.lastButtons().map((b) => b.text)).toEqual(
      expect.arrayContaining(['Short · ~800 words', 'Long read · 5000+ words']),
    )
    await user.press(`c:gl:${kw.id}:x`)
    expect(user.lastText()).toContain('Writing the article')
    await user.press(`c:gl:${kw.id}:x`)
    expect(user.alerts().at(-1)).toContain('Already writing the article')
    expect(await jobCount(`article.generate:keyword:${kw.id}`)).toBe(1)
    expect(await jobPayload(`article.generate:keyword:${kw.id}`)).toMatchObject({ keywordId: kw.id, lengthPreset: 'xlong' })
    expect(user.texts().filter((t) => t.includes('Writing the article'))).toHaveLength(1)

    const article = await h.payload.create({
      collection: 'articles',
      data: { title: 'A', project: project.id } as never,
      overrideAccess: true,
    })
    await user.press(`c:gpa:${article.id}`)
    expect(user.lastText()).toContain('Writing the post')
    expect(await jobCount(`post.generate:article:${article.id}`)).toBe(1)
  })

  it('orders an article for a whole cluster: the best kept keyword is the main one, the live rest secondary', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const make = (phrase: string, status: string, priority: number) =>
      h.payload.create({
        collection: 'keywords',
        data: { phrase, project: project.id, cluster: 'Монтаж', status, priority } as never,
        overrideAccess: true,
      })
    const newOne = await make('монтаж потолков цена', 'new', 5)
    const main = await make('монтаж натяжных потолков', 'planned', 4)
    const keptLow = await make('монтаж потолков своими руками', 'planned', 2)
    await make('монтаж потолков бесплатно', 'discarded', 5)
    await user.press(`k:cv:${project.id}:0:1`)
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`c:gc:${project.id}:0`)
    await user.press(`c:gc:${project.id}:0`)
    expect(user.lastText()).toContain('Main keyword: монтаж натяжных потолков')
    expect(user.lastText()).not.toContain('бесплатно')
    await user.press(`c:gcl:${project.id}:0:l`)
    expect(user.lastText()).toContain('Writing the article')
    const payload = await jobPayload(`article.generate:keyword:${main.id}`)
    expect(payload).toMatchObject({ keywordId: main.id, lengthPreset: 'long' })
    expect((payload?.secondaryKeywordIds as number[]).sort()).toEqual([keptLow.id, newOne.id].sort())
  })

  it('says generation is unavailable, and queues nothing, when no AI key is configured', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const kw = await keyword(project, 'потолки без ключа')
    process.env.AI_API_KEY = ''
    reloadEnv()
    try {
      await user.press(`c:gl:${kw.id}:m`)
      expect(user.alerts().at(-1) ?? user.lastText()).toContain('Text generation is unavailable right now')
      expect(await jobCount(`article.generate:keyword:${kw.id}`)).toBe(0)
    } finally {
      process.env.AI_API_KEY = 'test-key-never-sent'
      reloadEnv()
    }
  })
})

describe('reviewing content', () => {
  it('lists articles with status, offers only the moves the workflow table allows, and moves through the hooks', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account, 'owner')
    const article = await h.payload.create({
      collection: 'articles',
      data: {
        title: 'Как выбрать потолок',
        project: project.id,
        body: lexical('Первый абзац.\n\nВторой абзац.'),
      } as never,
      overrideAccess: true,
    })
    await user.press(`c:l:a:${project.id}:1`)
    expect(user.lastButtons().map((b) => b.text)).toContain('📝 Как выбрать потолок')

    await user.press(`c:o:a:${article.id}`)
    const moves = () =>
      user
        .lastButtons()
        .map((b) => b.callback_data)
        .filter((d) => /^c:(mv|rc):/.test(d))
    expect(moves()).toEqual([`c:mv:a:${article.id}:s`, `c:mv:a:${article.id}:x`])

    await user.press(`c:mv:a:${article.id}:s`)
    expect(
      (await h.payload.findByID({ collection: 'articles', id: article.id, overrideAccess: true }))
        .workflowStatus,
    ).toBe('in_review')
    expect(moves()).toEqual([`c:mv:a:${article.id}:a`, `c:rc:a:${article.id}`])

    await user.press(`c:rc:a:${article.id}`)
    await user.send('ok')
    expect(user.lastText()).toContain('Too short')
    await user.send('Добавьте раздел про цены')
    let stored = await h.payload.findByID({
      collection: 'articles',
      id: article.id,
      overrideAccess: true,
    })
    expect(stored).toMatchObject({
      workflowStatus: 'changes_requested',
      reviewNote: 'Добавьте раздел про цены',
    })
    expect(user.lastText()).toContain('Добавьте раздел про цены')

    await user.press(`c:mv:a:${article.id}:s`)
    await user.press(`c:mv:a:${article.id}:a`)
    stored = await h.payload.findByID({
      collection: 'articles',
      id: article.id,
      overrideAccess: true,
    })
    expect(stored.workflowStatus).toBe('approved')
    const events = await h.payload.find({
      collection: 'workflow-events',
      where: {
        'document.value': { equals: article.id },
        'document.relationTo': { equals: 'articles' },
      },
      overrideAccess: true,
      sort: 'createdAt',
    })
    expect(events.docs.map((e) => [e.from, e.to, e.actorKind])).toEqual([
      ['draft', 'in_review', 'account'],
      ['in_review', 'changes_requested', 'account'],
      ['changes_requested', 'in_review', 'account'],
      ['in_review', 'approved', 'account'],
    ])
  })

  it('edits the title and search snippet within their limits; approved content goes back to review', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account, 'owner')
    const article = await h.payload.create({
      collection: 'articles',
      data: { title: 'Old title', project: project.id, workflowStatus: 'in_review' } as never,
      overrideAccess: true,
    })
    await user.press(`c:mv:a:${article.id}:a`)
    expect(user.lastText()).toContain('approved')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(
      expect.arrayContaining([`c:me:${article.id}:t`, `c:mm:${article.id}`]),
    )

    await user.press(`c:mm:${article.id}`)
    await user.press(`c:me:${article.id}:mt`)
    await user.send('x'.repeat(61))
    expect(user.lastText()).toContain('at most 60')
    await user.send('Натяжные потолки: цены и монтаж')
    let stored = await h.payload.findByID({ collection: 'articles', id: article.id, overrideAccess: true })
    expect(stored.metaTitle).toBe('Натяжные потолки: цены и монтаж')
    expect(stored.workflowStatus).toBe('in_review')
    expect(user.lastText()).toContain('Натяжные потолки: цены и монтаж')

    await user.press(`c:me:${article.id}:t`)
    await user.send('How to choose a stretch ceiling')
    stored = await h.payload.findByID({ collection: 'articles', id: article.id, overrideAccess: true })
    expect(stored.title).toBe('How to choose a stretch ceiling')
    expect(stored.metaTitle).toBe('Натяжные потолки: цены и монтаж')

    const versions = await h.payload.findVersions({
      collection: 'articles',
      where: { parent: { equals: article.id } },
      overrideAccess: true,
    })
    expect(versions.totalDocs).toBeGreaterThanOrEqual(3)
  })

  it('a change request on a generated article queues its rewrite with the note; a hand-written one is left alone', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account, 'owner')
    const kw = await keyword(project, 'монтаж потолков')
    const generated = await h.payload.create({
      collection: 'articles',
      data: { title: 'Монтаж', project: project.id, mainKeyword: kw.id, workflowStatus: 'in_review', lengthPreset: 'long' } as never,
      overrideAccess: true,
    })
    await user.press(`c:rc:a:${generated.id}`)
    await user.send('Добавьте раздел про сроки монтажа')
    expect(user.lastText()).toContain('Rewriting the article with your note')
    expect(await jobPayload(`article.generate:article:${generated.id}`)).toMatchObject({
      articleId: generated.id,
      keywordId: kw.id,
      lengthPreset: 'long',
      accountId: account.id,
    })

    const handwritten = await h.payload.create({
      collection: 'articles',
      data: { title: 'Заметки', project: project.id, workflowStatus: 'in_review' } as never,
      overrideAccess: true,
    })
    await user.press(`c:rc:a:${handwritten.id}`)
    await user.send('Поправьте вступление')
    expect(user.lastText()).not.toContain('Rewriting')
    expect(await jobPayload(`article.generate:article:${handwritten.id}`)).toBeUndefined()
  })

  it('where staff approve, shows no approve button and refuses a forged approve', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account, 'staff')
    const post = await h.payload.create({
      collection: 'posts',
      data: {
        title: 'Staff gated',
        project: project.id,
        workflowStatus: 'in_review',
        variants: [{ platform: 'telegram', text: 'Hi' }],
      } as never,
      overrideAccess: true,
    })
    await user.press(`c:o:p:${post.id}`)
    const data = user.lastButtons().map((b) => b.callback_data)
    expect(data).not.toContain(`c:mv:p:${post.id}:a`)
    expect(data).not.toContain(`c:rc:p:${post.id}`)
    await user.press(`c:mv:p:${post.id}:a`)
    expect(user.alerts().at(-1)).toContain('Postforge editors approve content')
    await user.press(`c:rc:p:${post.id}`)
    expect(user.alerts().at(-1)).toBe(tr('en', 'review.not_now'))
    expect(
      (await h.payload.findByID({ collection: 'posts', id: post.id, overrideAccess: true }))
        .workflowStatus,
    ).toBe('in_review')
  })

  it('sends a long article in parts cut at paragraphs, and a very long one as a file', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const paragraphs = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i + 1}. ${'слово '.repeat(45).trim()}.`,
    )
    const article = await h.payload.create({
      collection: 'articles',
      data: {
        title: 'Long one',
        project: project.id,
        body: lexical(paragraphs.join('\n\n')),
      } as never,
      overrideAccess: true,
    })
    h.fake.clear()
    await user.press(`c:r:a:${article.id}`)
    const parts = h.fake.callsTo('sendMessage', user.id).map((c) => String(c.params.text))
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4096)
      expect(part.endsWith('.')).toBe(true)
    }
    // The title comes in bold (Telegram HTML); the rest is the text as written.
    expect(parts.join('\n\n')).toBe([`<b>Long one</b>`, ...paragraphs].join('\n\n'))

    const huge = await h.payload.create({
      collection: 'articles',
      data: {
        title: 'Huge one',
        project: project.id,
        body: lexical(Array.from({ length: 120 }, () => paragraphs[0]).join('\n\n')),
      } as never,
      overrideAccess: true,
    })
    h.fake.clear()
    await user.press(`c:r:a:${huge.id}`)
    const [document] = h.fake.callsTo('sendDocument', user.id)
    expect(document.files[0].name).toBe('huge-one.txt')
    expect(document.files[0].content.toString('utf8').startsWith('Huge one\n\nParagraph 1.')).toBe(
      true,
    )
    expect(h.fake.callsTo('sendMessage', user.id)).toHaveLength(0)
  })
})

describe('schedules and upcoming publications', () => {
  // Schedule materialisation reads every active schedule in the database: leave none behind.
  const cleanup: number[] = []
  afterAll(async () => {
    for (const id of cleanup) await h.payload.delete({ collection: 'projects', id, overrideAccess: true })
  })

  it('pauses and resumes a schedule, and cancels a queued publication after confirmation', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account, 'automatic')
    cleanup.push(project.id)
    const connection = await h.payload.create({
      collection: 'connections',
      data: {
        displayName: 'My channel',
        platform: 'telegram',
        project: project.id,
        credentials: { chatId: '@my_channel' },
      } as never,
      overrideAccess: true,
    })
    const schedule = await h.payload.create({
      collection: 'schedules',
      data: {
        name: 'Weekdays',
        project: project.id,
        connections: [connection.id],
        cadence: 'slots',
        slots: [{ weekday: 'mon', time: '09:30' }],
      } as never,
      overrideAccess: true,
    })
    await user.press(`s:l:${project.id}`)
    expect(user.lastText()).toContain('Weekdays')
    expect(user.lastText()).toContain('Mon 09:30')
    await user.press(`s:p:${schedule.id}`)
    expect(
      (await h.payload.findByID({ collection: 'schedules', id: schedule.id, overrideAccess: true }))
        .active,
    ).toBe(false)
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`s:r:${schedule.id}`)
    await user.press(`s:r:${schedule.id}`)
    expect(
      (await h.payload.findByID({ collection: 'schedules', id: schedule.id, overrideAccess: true }))
        .active,
    ).toBe(true)

    const post = await h.payload.create({
      collection: 'posts',
      data: {
        title: 'Going out',
        project: project.id,
        workflowStatus: 'in_review',
        variants: [{ platform: 'telegram', text: 'Hello' }],
      } as never,
      overrideAccess: true,
    })
    expect(post.workflowStatus).toBe('approved')
    const publication = await h.payload.create({
      collection: 'publications',
      data: {
        project: project.id,
        connection: connection.id,
        post: post.id,
        plannedAt: new Date(Date.now() + 3_600_000).toISOString(),
      } as never,
      overrideAccess: true,
    })
    await user.press(`u:l:${project.id}:1`)
    expect(user.lastText()).toContain('Going out')
    expect(user.lastText()).toContain('My channel')
    await user.press(`u:c:${publication.id}`)
    expect(user.lastText()).toContain('Cancel the publication "Going out"')
    expect(
      (
        await h.payload.findByID({
          collection: 'publications',
          id: publication.id,
          overrideAccess: true,
        })
      ).status,
    ).toBe('queued')
    await user.press(`u:cy:${publication.id}`)
    expect(
      (
        await h.payload.findByID({
          collection: 'publications',
          id: publication.id,
          overrideAccess: true,
        })
      ).status,
    ).toBe('cancelled')
    expect(user.lastText()).toContain('Publication cancelled')

    await user.press(`u:cy:${publication.id}`)
    expect(user.alerts().at(-1)).toContain('You can only cancel a planned publication')

    // "Publish again" from a failure notice: only a failed publication goes back to the queue.
    await user.press(`u:r:${publication.id}`)
    expect(user.alerts().at(-1)).toContain('has not failed (cancelled)')
    await h.payload.update({
      collection: 'publications',
      id: publication.id,
      data: { status: 'failed', attempts: 3, lastError: 'The bot has no access to the channel' },
      overrideAccess: true,
    })
    await user.press(`u:r:${publication.id}`)
    expect(user.alerts().at(-1)).toContain('queued again')
    expect(
      await h.payload.findByID({ collection: 'publications', id: publication.id, overrideAccess: true }),
    ).toMatchObject({ status: 'queued', attempts: 0 })
  })
})
