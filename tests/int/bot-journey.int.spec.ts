import type { Update } from 'grammy/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t, tr } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import type { Account } from '../../src/payload-types'
import { FAKE_BOT } from '../fakes/telegramBotApi'
import { createStaff } from '../helpers/fixtures'
import { startFakeWordpress } from '../fakes/wordpress'
import { nextUpdateId, startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'

/**
 * Issue 11, a new customer's path with no dead end: what the bot says after a clustering
 * failure, under staff review, for a wrong WordPress password, when it is added to a channel,
 * and for input typed the way people type it.
 */
let h: Harness
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('journey')
  wp = await startFakeWordpress({ username: 'editor', password: 'abcd efgh ijkl mnop' })
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    PUBLISH_HTTP_TIMEOUT_MS: '2000',
    // The fake WordPress listens on 127.0.0.1, which customers' addresses may not point to.
    FETCH_ALLOW_PRIVATE: 'true',
  })
  reloadEnv()
  resetTelegramClient()
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await wp?.close()
  await h?.close()
})

async function newProject(account: Account, data: Record<string, unknown> = {}) {
  return h.payload.create({
    collection: 'projects',
    data: { name: 'Journey', account: account.id, timezone: 'Europe/Moscow', ...data } as never,
    overrideAccess: true,
  })
}

function button(user: TestUser, label: string) {
  const found = user.lastButtons().find((b) => b.text.includes(label))
  expect(found, `a button labelled ${label} among ${user.lastButtons().map((b) => b.text).join(' | ')}`).toBeDefined()
  return found!.callback_data
}

describe('item 12: a wrong WordPress password is not taken for a stripped header', () => {
  async function typeWordpress(user: TestUser, projectId: number, password: string) {
    await user.press(`n:ap:${projectId}:w`)
    await user.send(wp.url)
    await user.send('editor')
    await user.send(password)
    return user.lastText()
  }

  it('a wrong application password is called wrong; a stripped header is called stripped', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    const wrong = await typeWordpress(user, project.id, 'wxyz wxyz wxyz wxyz')
    expect(wrong).toContain(t('ru', 'verify.wordpress.wrong_password'))
    expect(wrong).not.toContain('.htaccess')

    wp.state.stripAuth = true
    try {
      await user.send('/cancel')
      const stripped = await typeWordpress(user, project.id, wp.password)
      expect(stripped).toContain(t('ru', 'verify.wordpress.not_logged_in'))
      expect(stripped).toContain('Authorization')
    } finally {
      wp.state.stripAuth = false
    }
  })

  it('a login password on a site with no application password yet: create one, not .htaccess first', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    wp.state.appPasswordsInUse = false
    try {
      const text = await typeWordpress(user, project.id, 'my-login-password')
      expect(text).toContain(t('ru', 'verify.wordpress.not_logged_in'))
      // The likely cause comes first: the usual login password is not an application password.
      expect(text.indexOf('Пароли приложений')).toBeGreaterThan(-1)
      expect(text.indexOf('Пароли приложений')).toBeLessThan(text.indexOf('Authorization'))
    } finally {
      wp.state.appPasswordsInUse = true
    }
  })

  it('a site where application passwords are unavailable (no HTTPS, or a plugin) is told so', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const project = await newProject(account)
    wp.state.appPasswordsAvailable = false
    try {
      const text = await typeWordpress(user, project.id, wp.password)
      expect(text).toContain(t('en', 'verify.wordpress.app_passwords_unavailable'))
      expect(wp.callsTo('GET /wp-json/').length + wp.callsTo('GET /wp-json').length).toBeGreaterThan(0)
    } finally {
      wp.state.appPasswordsAvailable = true
    }
  })
})

function addedToChannel(
  chat: { id: number; title: string; username?: string },
  by: number,
  status = 'administrator',
  canPost = true,
): Update {
  const member = (value: string) => ({
    user: FAKE_BOT,
    status: value,
    ...(value === 'administrator' ? { can_post_messages: canPost, can_be_edited: false, is_anonymous: false } : {}),
  })
  return {
    update_id: nextUpdateId(),
    my_chat_member: {
      chat: { ...chat, type: 'channel' },
      from: { id: by, is_bot: false, first_name: 'Owner', language_code: 'ru' },
      date: Math.floor(Date.now() / 1000),
      old_chat_member: member('left'),
      new_chat_member: member(status),
    },
  } as unknown as Update
}

describe('item 14: adding the bot to a channel offers to connect it at once', () => {
  it('messages the customer who added it with a button per project, and connects the one pressed', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const first = await newProject(account, { name: 'Кофейня' })
    await newProject(account, { name: 'Пекарня' })
    const channel = { id: -1002233445566, title: 'Кофе каждый день', username: 'coffee_daily_test' }
    h.fake.addChat({ ...channel, type: 'channel' }, { status: 'administrator', can_post_messages: true })
    h.fake.clear()

    await h.bot.handleUpdate(addedToChannel(channel, user.id))
    const offer = user.lastText()
    expect(offer).toContain(tr('ru', 'conn.channel_offer', { channel: channel.title }))
    await user.press(button(user, 'Кофейня'))

    const { docs } = await h.payload.find({
      collection: 'connections',
      where: { project: { equals: first.id } },
      overrideAccess: true,
    })
    expect(docs).toHaveLength(1)
    expect(docs[0]).toMatchObject({ platform: 'telegram', status: 'active', credentialsHint: `chat ${channel.id}` })
    expect(user.lastText()).toContain('✅')

    // Added again (already connected to a project): nothing more to offer.
    h.fake.clear()
    await h.bot.handleUpdate(addedToChannel(channel, user.id))
    expect(user.texts()).toEqual([])
  })

  it('made administrator without the right to post: asked to grant it, no buttons that would fail', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    await newProject(account)
    const channel = { id: -1004455667788, title: 'Без прав' }
    h.fake.clear()
    await h.bot.handleUpdate(addedToChannel(channel, user.id, 'administrator', false))
    expect(user.lastText()).toBe(tr('ru', 'conn.channel_offer_no_rights', { channel: channel.title }))
    expect(user.lastButtons()).toEqual([])
  })

  it('a customer with no project is offered to create one; a stranger hears nothing', async () => {
    const { user } = await verifiedUser(h, { language: 'en' })
    const channel = { id: -1003344556677, title: 'News' }
    h.fake.addChat({ ...channel, type: 'channel' }, { status: 'administrator', can_post_messages: true })
    h.fake.clear()
    await h.bot.handleUpdate(addedToChannel(channel, user.id))
    expect(user.lastText()).toContain(tr('en', 'conn.channel_offer_no_project', { channel: channel.title }))
    expect(user.lastButtons().map((b) => b.callback_data)).toContain('p:new')

    h.fake.clear()
    await h.bot.handleUpdate(addedToChannel(channel, 99_999_001))
    expect(h.fake.callsTo('sendMessage')).toEqual([])
  })
})

describe('item 6: no clusters after the survey is not "start with the survey"', () => {
  it('says the survey is done, offers to sort the keywords again and to open them', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account, {
      surveyAnswers: [{ question: 'Что вы продаёте?', answer: 'кофе в зёрнах' }],
    })
    for (const phrase of ['кофе в зёрнах', 'купить кофе'])
      await h.payload.create({
        collection: 'keywords',
        data: { phrase, project: project.id, source: 'survey', status: 'new' } as never,
        overrideAccess: true,
      })
    await user.press(`k:cl:${project.id}:1`)
    const text = user.lastText()
    expect(text).not.toContain('Начните с опроса')
    expect(text).toContain(tr('ru', 'kw.no_clusters_after_survey', { count: 2 }))
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`k:l:${project.id}:1`)
    await user.press(button(user, tr('ru', 'kw.cluster_again')))
    expect([tr('ru', 'cluster.queued'), tr('ru', 'cluster.already')]).toContain(user.lastText())
  })

  it('a project with neither survey nor keywords still starts with the survey', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    await user.press(`k:cl:${project.id}:1`)
    expect(user.lastText()).toBe(tr('ru', 'kw.no_clusters'))
  })
})

describe('item 7: under staff review the customer knows who reviews and what happens next', () => {
  async function article(projectId: number, data: Record<string, unknown>) {
    return h.payload.create({
      collection: 'articles',
      data: { title: 'Как выбрать кофе', project: projectId, workflowStatus: 'in_review', ...data } as never,
      overrideAccess: true,
    })
  }

  it('an article in review says an editor reviews it and what follows; a change request is shown in full', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    const inReview = await article(project.id, {})
    await user.press(`c:o:a:${inReview.id}`)
    expect(user.lastText()).toContain(tr('ru', 'review.next.staff.in_review'))

    const note = `Добавьте раздел про обжарку. ${'Подробнее про арабику и робусту. '.repeat(40)}Конец.`
    const changes = await article(project.id, {})
    const { user: editor } = await createStaff(h.payload, ['editor'])
    await h.payload.update({
      collection: 'articles',
      id: changes.id,
      data: { workflowStatus: 'changes_requested', reviewNote: note },
      user: editor,
      overrideAccess: false,
    })
    await user.press(`c:o:a:${changes.id}`)
    expect(user.lastText()).toContain(note)
    expect(user.lastText()).toContain(tr('ru', 'review.next.staff.changes_requested'))

    // Rewritten and back in review: the request is still there, whole, next to what follows.
    await h.payload.update({ collection: 'articles', id: changes.id, data: { workflowStatus: 'in_review' }, overrideAccess: true, context: {} })
    await user.press(`c:o:a:${changes.id}`)
    expect(user.lastText()).toContain(`${tr('ru', 'content.last_note')}: ${note}`)
    expect(user.lastText()).toContain(tr('ru', 'review.next.staff.in_review'))
  })

  it('a new schedule with nothing approved warns; an empty queue says why it is empty', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    const channel = await h.payload.create({
      collection: 'connections',
      data: { displayName: 'Кофе-канал', platform: 'telegram', project: project.id, credentials: { chatId: -1001000000077 } } as never,
      overrideAccess: true,
    })
    await article(project.id, {})

    await user.press(`u:l:${project.id}:1`)
    expect(user.lastText()).toContain(tr('ru', 'pub.empty_no_schedule'))

    h.fake.clear()
    await user.press(`s:n:${project.id}`)
    expect(user.texts().join('\n')).toContain(tr('ru', 'sched.nothing_approved.staff'))

    await h.payload.create({
      collection: 'schedules',
      data: { name: 'Каждый день', project: project.id, connections: [channel.id], contentKind: 'both', cadence: 'interval', intervalMinutes: 1440, active: true } as never,
      overrideAccess: true,
    })
    await user.press(`u:l:${project.id}:1`)
    expect(user.lastText()).toContain(tr('ru', 'pub.empty_nothing_approved.staff'))
  })
})

describe('item 15: input the way people type it', () => {
  it('a Cyrillic domain without a scheme and a city for the time zone create the project', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    await user.send('/new')
    await user.send('Домашний уют')
    await user.send('домашнийуют.рф')
    expect(user.lastText()).not.toContain('⚠️')
    await user.press('f:s:2')
    await user.press('f:s:3')
    await user.press('f:s:4')
    await user.send('Новосибирск')
    const { docs } = await h.payload.find({ collection: 'projects', where: { account: { equals: account.id } }, overrideAccess: true })
    expect(docs).toHaveLength(1)
    expect(docs[0].siteUrl).toBe(`https://${new URL('http://домашнийуют.рф').hostname}`)
    expect(docs[0].siteUrl).toMatch(/^https:\/\/xn--/)
    expect(docs[0].timezone).toBe('Asia/Novosibirsk')
    expect(user.lastText()).toContain('Новосибирск (UTC+7)')
  })

  it.each([
    ['Москва', 'Europe/Moscow'],
    ['Moscow', 'Europe/Moscow'],
    ['г. Екатеринбург', 'Asia/Yekaterinburg'],
    ['UTC+5', 'Etc/GMT-5'],
    ['europe/moscow', 'Europe/Moscow'],
  ])('the time zone "%s" is %s', async (typed, zone) => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    await user.press(`p:ef:${project.id}:tz`)
    await user.send(typed)
    expect(user.lastText()).toContain(tr('ru', 'project.saved'))
    expect((await h.payload.findByID({ collection: 'projects', id: project.id, overrideAccess: true })).timezone).toBe(zone)
  })

  it('an unknown place is refused with a hint, not stored', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const project = await newProject(account)
    await user.press(`p:ef:${project.id}:tz`)
    await user.send('Atlantis')
    expect(user.lastText()).toContain(tr('en', 'v.timezone', { value: 'Atlantis' }))
  })

  async function scheduleWith(user: TestUser, projectId: number, when: string) {
    await user.press(`s:n:${projectId}`)
    await user.press(button(user, 'Кофе'))
    await user.press(button(user, tr('ru', 'sched.kind.both')))
    await user.press(button(user, tr('ru', 'sched.cadence.slots')))
    await user.send(when)
    return user.lastText()
  }

  it('"суббота в 17:50" and "каждый день в 9" are schedules; names, counts and zone read naturally', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account, { timezone: 'Asia/Novosibirsk' })
    await h.payload.create({
      collection: 'connections',
      data: { displayName: 'Кофе-канал', platform: 'telegram', project: project.id, credentials: { chatId: -1001000000078 } } as never,
      overrideAccess: true,
    })
    expect(await scheduleWith(user, project.id, 'суббота в 17:50')).not.toContain('⚠️')
    await user.press('f:s:4')
    expect(user.lastText()).toContain('сб 17:50')
    expect(user.lastText()).toContain('Новосибирск (UTC+7)')
    await user.press(button(user, tr('ru', 'sched.save')))
    await user.send('/cancel')

    expect(await scheduleWith(user, project.id, 'каждый день в 9')).not.toContain('⚠️')
    await user.press('f:s:4')
    await user.press(button(user, tr('ru', 'sched.save')))
    const { docs } = await h.payload.find({ collection: 'schedules', where: { project: { equals: project.id } }, sort: 'createdAt', overrideAccess: true })
    expect(docs.map((d) => d.slots?.map((s) => `${s.weekday} ${s.time}`))).toEqual([
      ['sat 17:50'],
      ['mon 09:00', 'tue 09:00', 'wed 09:00', 'thu 09:00', 'fri 09:00', 'sat 09:00', 'sun 09:00'],
    ])
    expect(docs[0].name).toContain('сб 17:50')
    expect(user.lastText()).toContain('7 слотов в неделю')
    expect(user.lastText()).toContain('(Новосибирск (UTC+7))')

    await h.payload.update({
      collection: 'schedules',
      id: docs[1].id,
      data: { slots: Array.from({ length: 21 }, (_, i) => ({ weekday: (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const)[i % 7], time: `${String(8 + Math.floor(i / 7)).padStart(2, '0')}:00` })) },
      overrideAccess: true,
    })
    await user.press(`s:l:${project.id}`)
    expect(user.lastText()).toContain('21 слот в неделю')
  })

  it('plural forms follow Intl.PluralRules in Russian and English', () => {
    const ru = (count: number) => tr('ru', 'sched.slots_many', { count })
    expect([1, 2, 5, 11, 21, 54].map(ru)).toEqual([
      '1 слот в неделю',
      '2 слота в неделю',
      '5 слотов в неделю',
      '11 слотов в неделю',
      '21 слот в неделю',
      '54 слота в неделю',
    ])
    expect(tr('en', 'sched.slots_many', { count: 1 })).toBe('1 slot a week')
    expect(tr('en', 'sched.slots_many', { count: 21 })).toBe('21 slots a week')
    expect(tr('ru', 'sched.every_days', { days: 1 })).toBe('каждый день')
    expect(tr('ru', 'sched.every_hours', { hours: 21 })).toBe('каждый 21 час')
  })
})

describe('item 15: keyword lists as Excel saves them, and no URLs as keywords', () => {
  const phrases = ['купить диван', 'диван-кровать недорого', 'угловой диван Казань']
  const csv = `Ключевая фраза;Частота\r\n${phrases.map((p, i) => `${p};${100 + i}`).join('\r\n')}\r\n`
  /** Windows-1251 by hand (Node encodes no legacy code pages): А-я, Ё, ё, ASCII. */
  const cp1251 = (text: string) =>
    Buffer.from(
      [...text].map((ch) => {
        const code = ch.charCodeAt(0)
        if (code < 128) return code
        if (ch === 'Ё') return 0xa8
        if (ch === 'ё') return 0xb8
        if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0
        throw new Error(`no cp1251 for ${ch}`)
      }),
    )
  const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])

  it.each([
    ['Windows-1251', cp1251(csv)],
    ['UTF-16 with a BOM', utf16(csv)],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')])],
  ])('imports a CSV saved in %s', async (_, bytes) => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    const fileId = `kw-${Math.random().toString(36).slice(2)}`
    h.fake.addFile(fileId, bytes)
    await user.press(`k:im:${project.id}`)
    await user.sendDocument({ file_id: fileId, file_name: 'Ключи.csv', file_size: bytes.length })
    expect(user.lastText()).toContain(tr('ru', 'import.created', { count: 3 }))
    const { docs } = await h.payload.find({ collection: 'keywords', where: { project: { equals: project.id } }, sort: 'phrase', overrideAccess: true })
    expect(docs.map((d) => d.phrase).sort()).toEqual([...phrases].sort())
  })

  it('refuses site addresses as keywords and says why', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    await user.press(`k:im:${project.id}`)
    await user.send('купить диван\nhttps://divan.ru/catalog\nwww.divany.ru\nдомашнийуют.рф\nЯндекс.Маркет диваны')
    const text = user.lastText()
    expect(text).toContain(tr('ru', 'import.created', { count: 2 }))
    expect(text).toContain(tr('ru', 'import.urls', { count: 3, examples: 'https://divan.ru/catalog; www.divany.ru; домашнийуют.рф' }))
    const { docs } = await h.payload.find({ collection: 'keywords', where: { project: { equals: project.id } }, overrideAccess: true })
    expect(docs.map((d) => d.phrase).sort()).toEqual(['Яндекс.Маркет диваны', 'купить диван'].sort())
  })
})

describe('item 15: platforms named as people write them', () => {
  it('the connection menu says "Telegram-канал", not telegram', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    await user.press(`n:a:${project.id}`)
    const labels = user.lastButtons().map((b) => b.text)
    expect(labels).toContain('✈️ Telegram-канал')
    expect(labels.join(' ')).not.toMatch(/\btelegram\b/)
    expect(t('ru', 'platform.telegram')).toBe('Telegram-канал')
    expect(t('en', 'platform.telegram')).toBe('Telegram channel')
  })
})

describe('item 15: plural forms in the shared texts', () => {
  it('notices the worker sends count in English too', () => {
    expect(t('en', 'ai.cluster.done', { added: 1, clusters: 1, duplicates: 0 })).toContain('1 new phrase in 1 cluster.')
    expect(t('en', 'ai.cluster.done', { added: 54, clusters: 2, duplicates: 0 })).toContain('54 new phrases in 2 clusters.')
    expect(t('en', 'ai.article.outline_ready', { count: 1 })).toContain('1 section.')
    const done = (language: 'ru' | 'en', occurrences: number) =>
      t(language, 'ai.article.done', { title: 'T', words: 900, sections: 5, readability: 70, occurrences, status: '' })
    expect(done('ru', 54)).toContain('встречается 54 раза.')
    expect(done('ru', 1)).toContain('встречается 1 раз.')
    expect(done('ru', 5)).toContain('встречается 5 раз.')
    expect(done('en', 1)).toContain('appears once.')
    expect(done('en', 54)).toContain('appears 54 times.')
    expect(tr('ru', 'import.too_many', { count: 21, max: 500 })).toMatch(/^Ещё 21 фраза не вошла/)
    expect(tr('ru', 'import.too_many', { count: 3, max: 500 })).toMatch(/^Ещё 3 фразы не вошли/)
  })
})

describe('item 15: times in the project time zone, said which', () => {
  it('upcoming publications show their time in the project zone and name the zone', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account, { timezone: 'Asia/Novosibirsk', reviewPolicy: 'automatic' })
    const channel = await h.payload.create({
      collection: 'connections',
      data: { displayName: 'Кофе-канал', platform: 'telegram', project: project.id, credentials: { chatId: -1001000000079 } } as never,
      overrideAccess: true,
    })
    const post = await h.payload.create({
      collection: 'posts',
      data: { title: 'Утренний кофе', project: project.id, workflowStatus: 'in_review', variants: [{ platform: 'telegram', text: 'Кофе' }] } as never,
      overrideAccess: true,
    })
    const plannedAt = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000)
    await h.payload.create({
      collection: 'publications',
      data: { project: project.id, connection: channel.id, post: post.id, plannedAt: plannedAt.toISOString() } as never,
      overrideAccess: true,
    })
    await user.press(`u:l:${project.id}:1`)
    const local = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Asia/Novosibirsk', hour: '2-digit', minute: '2-digit' }).format(plannedAt)
    expect(user.lastText()).toContain(local)
    expect(user.lastText()).toContain(tr('ru', 'pub.zone', { zone: 'Новосибирск (UTC+7)' }))
  })
})
