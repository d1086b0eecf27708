import type { Update } from 'grammy/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tr } from '../../src/bot/i18n'
import { t } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { resetNotifier } from '../../src/notify/telegram'
import type { Account } from '../../src/payload-types'
import { FAKE_BOT } from '../fakes/telegramBotApi'
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
  resetNotifier()
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetNotifier()
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
): Update {
  const member = (value: string) => ({
    user: FAKE_BOT,
    status: value,
    ...(value === 'administrator' ? { can_post_messages: true, can_be_edited: false, is_anonymous: false } : {}),
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
