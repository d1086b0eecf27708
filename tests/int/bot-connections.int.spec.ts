import type { Update } from 'grammy/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tr } from '../../src/bot/i18n'
import { t } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { redeemTicket } from '../../src/oauth/state'
import type { Account } from '../../src/payload-types'
import { FAKE_BOT } from '../fakes/telegramBotApi'
import { startFakeVk } from '../fakes/vk'
import { startFakeWordpress } from '../fakes/wordpress'
import { deliverNotices } from '../helpers/notices'
import { rest } from '../helpers/rest'
import {
  expectAlerts,
  nextUpdateId,
  startHarness,
  TOKEN,
  verifiedUser,
  type Harness,
} from './bot-harness'

let h: Harness
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
let vk: Awaited<ReturnType<typeof startFakeVk>>
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('connections')
  wp = await startFakeWordpress({ username: 'editor', password: 'abcd efgh ijkl mnop' })
  vk = await startFakeVk({ groupId: 777 })
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    VK_API_BASE: vk.url,
    PUBLISH_HTTP_TIMEOUT_MS: '2000',
    // The fake WordPress listens on 127.0.0.1, which customers' addresses may not point to.
    FETCH_ALLOW_PRIVATE: 'true',
    PINTEREST_CLIENT_ID: '1484362',
    PINTEREST_CLIENT_SECRET: 'pinterest-client-secret',
    INSTAGRAM_APP_ID: '',
    INSTAGRAM_APP_SECRET: '',
    SERVER_URL: 'https://app.postforge.test',
    // Notices go through this file's own queue, so no other file's worker takes them.
    GRAPHILE_WORKER_SCHEMA: 'pf_test_bot_connections',
  })
  reloadEnv()
  resetTelegramClient()
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await wp?.close()
  await vk?.close()
  await h?.close()
})

async function newProject(account: Account, name = 'Connections') {
  return h.payload.create({
    collection: 'projects',
    data: { name, account: account.id, timezone: 'Europe/Moscow' } as never,
    overrideAccess: true,
  })
}

async function connectionsOf(projectId: number) {
  const { docs } = await h.payload.find({
    collection: 'connections',
    where: { project: { equals: projectId } },
    overrideAccess: true,
    depth: 0,
  })
  return docs
}

/** The button on the last screen whose label contains `label`. */
function button(
  user: { lastButtons(): Array<{ text: string; callback_data: string }> },
  label: string,
) {
  const found = user.lastButtons().find((b) => b.text.includes(label))
  expect(found, `a button labelled ${label}`).toBeDefined()
  return found!.callback_data
}

function chatMemberUpdate(
  chat: { id: number; title: string; username?: string },
  from: string,
  to: string,
): Update {
  const member = (status: string) => ({
    user: FAKE_BOT,
    status,
    ...(status === 'administrator'
      ? { can_post_messages: true, can_be_edited: false, is_anonymous: false }
      : {}),
  })
  return {
    update_id: nextUpdateId(),
    my_chat_member: {
      chat: { ...chat, type: 'channel' },
      from: { id: 42, is_bot: false, first_name: 'Channel owner' },
      date: Math.floor(Date.now() / 1000),
      old_chat_member: member(from),
      new_chat_member: member(to),
    },
  } as unknown as Update
}

describe('connecting WordPress', () => {
  it('explains a wrong application password, keeps the site and user, and saves only after a real check', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    await user.press(`n:l:${project.id}`)
    expect(user.lastText()).toContain(tr('en', 'conn.empty'))
    await user.press(button(user, 'Connect'))
    await user.press(button(user, 'WordPress'))
    expect(user.lastText()).toContain(tr('en', 'conn.ask.siteUrl'))

    await user.send('not a url')
    expect(user.lastText()).toContain(tr('en', 'v.url', { value: 'not a url' }))
    await user.send(`${wp.url}/`)
    await user.send('editor')
    const checksBefore = wp.callsTo('GET /users/me').length
    await user.send('wrong-password-123')

    expect(wp.callsTo('GET /users/me').length).toBe(checksBefore + 1)
    const refused = user.lastText()
    expect(refused).toContain(t('en', 'verify.wordpress.wrong_password'))
    expect(refused).toContain(`<code>${wp.url}</code>`)
    expect(refused).toContain('<code>editor</code>')
    expect(refused).not.toContain('wrong-password-123')
    expect(await connectionsOf(project.id)).toHaveLength(0)
    // The message holding the password was removed from the chat.
    expect(h.fake.callsTo('deleteMessage', user.id).length).toBeGreaterThanOrEqual(1)
    // The password is the first thing offered to correct; a wrong one is not kept for a retry.
    expect(user.lastButtons()[0].text).toContain(tr('en', 'conn.field.applicationPassword'))
    expect(user.lastButtons().map((b) => b.text)).not.toContain(tr('en', 'conn.fix.retry'))

    await user.press(user.lastButtons()[0].callback_data)
    expect(user.lastText()).toContain(tr('en', 'conn.ask.applicationPassword'))
    expect(user.lastText()).toContain(`<code>${wp.url}</code>`)
    await user.send('abcd efgh ijkl mnop')

    expect(user.lastText()).toContain('Connected')
    const [saved] = await connectionsOf(project.id)
    expect(saved).toMatchObject({
      platform: 'wordpress',
      status: 'active',
      credentialsHint: `editor @ ${wp.url}`,
    })
    const lastAuth = wp.callsTo('GET /users/me').at(-1)!.headers.authorization
    expect(Buffer.from(lastAuth!.replace('Basic ', ''), 'base64').toString()).toBe(
      'editor:abcd efgh ijkl mnop',
    )
    expect(JSON.stringify(saved.credentials)).not.toContain('abcd efgh')
    expect((await h.session(user.id)).flow).toBeUndefined()

    // Nobody reads the credentials back: not the owner over REST, not a JSON dump of the row.
    const apiKey = 'k'.repeat(32) + String(account.id).padStart(16, '0')
    await h.payload.update({
      collection: 'accounts',
      id: account.id,
      data: { enableAPIKey: true, apiKey },
      overrideAccess: true,
    })
    const read = await rest('GET', `/connections/${saved.id}`, {
      auth: { apiKey: { collection: 'accounts', key: apiKey } },
    })
    expect(read.status).toBe(200)
    expect(read.json.credentialsHint).toBe(`editor @ ${wp.url}`)
    expect(read.json.credentials).toBeUndefined()
    expect(JSON.stringify(read.json)).not.toContain('abcd efgh')
  })

  it('entering the same site and user again updates the one connection instead of adding another', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    for (let i = 0; i < 2; i++) {
      await user.press(`n:ap:${project.id}:w`)
      await user.send(wp.url)
      await user.send('editor')
      await user.send('abcd efgh ijkl mnop')
    }
    expect(user.lastText()).toContain('is updated and works')
    expect(await connectionsOf(project.id)).toHaveLength(1)
  })
})

describe('connecting a Telegram channel', () => {
  const channel = { id: -1001987654321, title: 'Zerno news', username: 'zerno_news' }

  it('refuses a channel where the bot is not an administrator, then connects once it is, by id', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    h.fake.addChat({ ...channel, type: 'channel' }, { status: 'member' })

    await user.press(`n:ap:${project.id}:t`)
    expect(user.texts().at(-2)).toContain(`@${FAKE_BOT.username}`)
    await user.send('https://t.me/zerno_news')
    expect(user.lastText()).toContain(t('en', 'verify.telegram.not_admin'))
    expect(await connectionsOf(project.id)).toHaveLength(0)

    h.fake.addChat(
      { ...channel, type: 'channel' },
      { status: 'administrator', can_post_messages: true, can_be_edited: false },
    )
    await user.press(button(user, tr('en', 'conn.fix.retry')))
    expect(user.lastText()).toContain('Connected: Telegram Zerno news')
    const [saved] = await connectionsOf(project.id)
    expect(saved).toMatchObject({ platform: 'telegram', status: 'active' })
    expect(saved.credentialsHint).toBe(`chat ${channel.id}`)
  })

  it('marks the connection "needs reconnect" and tells the owner when the bot is removed, and restores it when re-added', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const other = { id: -1001555000111, title: 'Kofe daily', username: 'kofe_daily' }
    h.fake.addChat(
      { ...other, type: 'channel' },
      { status: 'administrator', can_post_messages: true },
    )
    await user.press(`n:ap:${project.id}:t`)
    await user.send('@kofe_daily')
    const [connection] = await connectionsOf(project.id)
    expect(connection.status).toBe('active')

    await h.bot.handleUpdate(chatMemberUpdate(other, 'administrator', 'left'))
    const lost = await h.payload.findByID({
      collection: 'connections',
      id: connection.id,
      overrideAccess: true,
    })
    expect(lost.status).toBe('needs_reconnect')
    expect(lost.lastError).toContain('removed')
    await deliverNotices(h.payload)
    expect(user.lastText()).toBe(
      t('en', 'notify.channel_lost', { channel: connection.displayName }),
    )

    await user.press(`n:l:${project.id}`)
    expect(user.lastText()).toContain(tr('en', 'conn.status.needs_reconnect'))

    await h.bot.handleUpdate(chatMemberUpdate(other, 'left', 'administrator'))
    const back = await h.payload.findByID({
      collection: 'connections',
      id: connection.id,
      overrideAccess: true,
    })
    expect(back.status).toBe('active')
    await deliverNotices(h.payload)
    expect(user.lastText()).toBe(
      t('en', 'notify.channel_restored', { channel: connection.displayName }),
    )
  })
})

describe('connecting a VK community, testing and disconnecting', () => {
  it('refuses a dead token, saves a good one, re-tests it and disconnects it', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await newProject(account)
    await user.press(`n:ap:${project.id}:v`)
    await user.send('vk.com/club777')
    await user.send('vk1.a.not-the-right-token')
    expect(user.lastText()).toContain(t('ru', 'verify.vk.token_invalid'))
    expect(user.lastText()).toContain('<code>777</code>')
    await user.press(button(user, tr('ru', 'conn.field.accessToken')))
    await user.send(vk.token)
    expect(user.lastText()).toContain('Подключено: VK Кофейня')
    const [saved] = await connectionsOf(project.id)
    expect(saved).toMatchObject({ platform: 'vk', status: 'active' })

    await user.press(`n:t:${saved.id}`)
    expect(user.lastText()).toContain(tr('ru', 'conn.test_ok'))

    // The platform is down: a transient failure never marks the connection broken.
    vk.fail('groups.getById', { status: 503, body: {} })
    await user.press(`n:t:${saved.id}`)
    expect(user.lastText()).toContain(t('ru', 'verify.unreachable'))
    expect(
      (await h.payload.findByID({ collection: 'connections', id: saved.id, overrideAccess: true }))
        .status,
    ).toBe('active')

    await user.press(`n:d:${saved.id}`)
    await user.press(`n:dy:${saved.id}`)
    expect(user.lastText()).toContain('отключено')
    expect(
      (await h.payload.findByID({ collection: 'connections', id: saved.id, overrideAccess: true }))
        .status,
    ).toBe('disabled')
    expect(user.lastText()).toContain(tr('ru', 'conn.empty'))
  })
})

describe('OAuth platforms', () => {
  it('hands out a one-time link bound to the account and project, and hides platforms that are not configured', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    await user.press(`n:a:${project.id}`)
    const labels = user.lastButtons().map((b) => b.text)
    expect(labels.some((l) => l.includes('Pinterest'))).toBe(true)
    expect(labels.some((l) => l.includes('Instagram'))).toBe(false)

    await user.press(`n:ap:${project.id}:p`)
    const link = user.lastButtons().find((b) => 'url' in b) as unknown as { url: string }
    const url = new URL(link.url)
    expect(url.origin + url.pathname).toBe('https://app.postforge.test/api/oauth/pinterest/start')
    const binding = await redeemTicket(url.searchParams.get('ticket')!)
    expect(binding).toEqual({ accountId: account.id, projectId: project.id, platform: 'pinterest' })
    expect(await redeemTicket(url.searchParams.get('ticket')!)).toBeNull()
  })
})

describe("another account's connection", () => {
  it('forged buttons for it are refused before any check or change', async () => {
    const { account: owner } = await verifiedUser(h)
    const project = await newProject(owner)
    const connection = await h.payload.create({
      collection: 'connections',
      data: {
        displayName: 'Owner site',
        platform: 'wordpress',
        project: project.id,
        credentials: {
          siteUrl: wp.url,
          username: 'editor',
          applicationPassword: 'abcd efgh ijkl mnop',
        },
      } as never,
      overrideAccess: true,
    })
    const { user: intruder } = await verifiedUser(h)
    const checks = wp.calls.length

    await expectAlerts(
      h,
      intruder,
      [
        `n:o:${connection.id}`,
        `n:t:${connection.id}`,
        `n:d:${connection.id}`,
        `n:dy:${connection.id}`,
        `n:l:${project.id}`,
        `n:ap:${project.id}:w`,
      ],
      tr('en', 'err.not_found'),
    )
    expect((await h.session(intruder.id)).flow).toBeUndefined()
    expect(wp.calls.length).toBe(checks)
    const after = await h.payload.findByID({
      collection: 'connections',
      id: connection.id,
      overrideAccess: true,
    })
    expect(after.status).toBe('active')
    expect(after.lastCheckedAt ?? null).toBeNull()
  })
})

describe('the new screens', () => {
  it('every button on the project card, connections, schedules and images screens leads somewhere', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    const connection = await h.payload.create({
      collection: 'connections',
      data: {
        displayName: 'Walk channel',
        platform: 'telegram',
        project: project.id,
        credentials: { chatId: -1001000000777 },
      } as never,
      overrideAccess: true,
    })
    const screens = [
      `p:o:${project.id}`,
      `n:l:${project.id}`,
      `n:o:${connection.id}`,
      `n:a:${project.id}`,
      `s:l:${project.id}`,
      `md:l:${project.id}:1`,
    ]
    for (const screen of screens) {
      await user.press(screen)
      const buttons = user.lastButtons().filter((b) => b.callback_data)
      expect(buttons.length, screen).toBeGreaterThan(0)
      for (const { callback_data: data } of buttons) {
        await user.send('/cancel')
        h.fake.clear()
        await user.press(data)
        const shown = h.fake.calls.some((c) =>
          ['sendMessage', 'editMessageText'].includes(c.method),
        )
        const told = user.alerts().some((text) => text !== '')
        expect(user.alerts(), `${screen} → ${data}`).not.toContain(tr('en', 'cb.invalid'))
        expect(shown || told, `${screen} → ${data} answered`).toBe(true)
      }
    }
  })
})
