import type { Update } from 'grammy/types'
import { Logger, runOnce } from 'graphile-worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { GET as oauthCallback } from '../../src/app/api/oauth/[platform]/callback/route'
import { GET as oauthStart } from '../../src/app/api/oauth/[platform]/start/route'
import { addJob } from '../../src/jobs/addJob'
import { refreshTokensTask } from '../../src/jobs/tasks/refreshTokens'
import { env, reloadEnv } from '../../src/lib/env'
import { openCredentials } from '../../src/publishing/credentials'

import { t, tr } from '../../src/i18n'
import { resetTelegramClient } from '../../src/telegram/client'
import { redeemTicket } from '../../src/oauth/state'
import type { Account } from '../../src/payload-types'
import { startFakeInstagram } from '../fakes/instagram'
import { startFakePinterest } from '../fakes/pinterest'
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

describe('signing in again through OAuth', () => {
  let pin: Awaited<ReturnType<typeof startFakePinterest>>
  let ig: Awaited<ReturnType<typeof startFakeInstagram>>
  const before = { ...process.env }

  beforeAll(async () => {
    pin = await startFakePinterest({ clientId: '1484362', clientSecret: 'pinterest-client-secret' })
    ig = await startFakeInstagram({ appId: '987654321', appSecret: 'instagram-app-secret' })
    Object.assign(process.env, {
      PINTEREST_API_BASE: pin.url,
      INSTAGRAM_GRAPH_BASE: ig.url,
      INSTAGRAM_APP_ID: ig.appId,
      INSTAGRAM_APP_SECRET: ig.appSecret,
    })
    reloadEnv()
  })

  afterAll(async () => {
    for (const key of ['PINTEREST_API_BASE', 'INSTAGRAM_GRAPH_BASE', 'INSTAGRAM_APP_ID', 'INSTAGRAM_APP_SECRET']) {
      if (before[key] === undefined) delete process.env[key]
      else process.env[key] = before[key]
    }
    reloadEnv()
    await pin?.close()
    await ig?.close()
  })

  const route = (platform: string) => ({ params: Promise.resolve({ platform }) })

  /**
   * The customer opens the bot's link, grants access on the platform, and the browser comes back
   * to the callback with the platform's code; the page they see is returned.
   */
  async function signIn(user: { lastButtons(): Array<{ text: string; callback_data: string }> }, platform: 'pinterest' | 'instagram') {
    const link = user.lastButtons().find((b) => 'url' in b) as unknown as { url: string }
    expect(link, 'a link to the platform').toBeDefined()
    const started = await oauthStart(new Request(link.url), route(platform))
    expect(started.status).toBe(302)
    const cookie = started.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!
    const code = platform === 'pinterest' ? pin.issueCode() : ig.issueCode()
    const page = await oauthCallback(
      new Request(`https://app.postforge.test/api/oauth/${platform}/callback?code=${code}&state=${state}`, { headers: { cookie } }),
      route(platform),
    )
    expect(page.status).toBe(200)
    await deliverNotices(h.payload)
    return page.text()
  }

  async function ofPlatform(projectId: number, platform: 'pinterest' | 'instagram') {
    return (await connectionsOf(projectId)).filter((c) => c.platform === platform)
  }

  async function storedCredentials<P extends 'pinterest' | 'instagram'>(platform: P, id: number) {
    const row = await h.payload.findByID({ collection: 'connections', id, overrideAccess: true })
    return openCredentials(platform, row.credentials)
  }

  it('Pinterest: "Reconnect" and a second sign-in update the one connection the schedules use', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    await user.press(`n:ap:${project.id}:p`)
    expect(await signIn(user, 'pinterest')).toContain('Pinterest @zerno_coffee')
    const [first] = await ofPlatform(project.id, 'pinterest')
    expect(user.lastText()).toContain(tr('en', 'notify.connection_connected', { connection: 'Pinterest @zerno_coffee · Кофе' }))
    const schedule = await h.payload.create({
      collection: 'schedules',
      data: { name: 'Pins', project: project.id, connections: [first.id], cadence: 'slots', slots: [{ weekday: 'mon', time: '09:30' }] } as never,
      overrideAccess: true,
    })
    // Pinterest stops taking the token (revoked access): publishing marked it for reconnecting.
    await h.payload.update({ collection: 'connections', id: first.id, data: { status: 'needs_reconnect', lastError: 'revoked' }, overrideAccess: true })

    await user.press(`n:o:${first.id}`)
    await user.press(button(user, tr('en', 'conn.reconnect')))
    expect(await signIn(user, 'pinterest')).toContain(tr('en', 'oauth.reconnected', { name: 'Pinterest @zerno_coffee · Кофе' }))
    expect(user.lastText()).toContain(tr('en', 'notify.connection_reconnected', { connection: 'Pinterest @zerno_coffee · Кофе' }))

    const after = await ofPlatform(project.id, 'pinterest')
    expect(after.map((c) => c.id)).toEqual([first.id])
    expect(after[0].status).toBe('active')
    expect((await storedCredentials('pinterest', first.id)).accessToken).toBe('pina_granted_2_aaaaaaaa')
    const kept = await h.payload.findByID({ collection: 'schedules', id: schedule.id, depth: 0, overrideAccess: true })
    expect(kept.connections).toEqual([first.id])

    // "Connect" → Pinterest again, as the same Pinterest user: still that one connection.
    await user.press(`n:ap:${project.id}:p`)
    await signIn(user, 'pinterest')
    expect((await ofPlatform(project.id, 'pinterest')).map((c) => c.id)).toEqual([first.id])
    expect((await storedCredentials('pinterest', first.id)).accessToken).toBe('pina_granted_3_aaaaaaaa')
  })

  it('Pinterest: the customer picks the board from all their boards, and a reconnect keeps it', async () => {
    pin.state.boards = Array.from({ length: 12 }, (_, i) => ({ id: `5497558851${String(i).padStart(2, '0')}`, name: `Доска ${i + 1}` }))
    try {
      const { user, account } = await verifiedUser(h)
      const project = await newProject(account)
      await user.press(`n:ap:${project.id}:p`)
      await signIn(user, 'pinterest')
      const [connection] = await ofPlatform(project.id, 'pinterest')
      const pagesBefore = pin.callsTo('GET /v5/boards').length

      await user.press(button(user, tr('en', 'conn.board_choose')))
      expect(user.lastText()).toContain('Доска 1')
      expect(user.lastButtons().filter((b) => b.text.includes('Доска'))).toHaveLength(8)
      await user.press(button(user, tr('en', 'conn.page_next')))
      const secondPage = user.lastButtons().filter((b) => b.text.includes('Доска')).map((b) => b.text)
      expect(secondPage).toEqual(['Доска 9', 'Доска 10', 'Доска 11', 'Доска 12'])
      // Read with the bookmark cursor, a page of at most 250 at a time.
      expect(pin.callsTo('GET /v5/boards').slice(pagesBefore).every((c) => c.query.get('page_size') === '250')).toBe(true)

      await user.press(button(user, 'Доска 11'))
      expect(user.lastText()).toContain(tr('en', 'conn.board_chosen', { board: 'Доска 11' }))
      expect((await storedCredentials('pinterest', connection.id)).boardId).toBe('549755885110')
      expect((await ofPlatform(project.id, 'pinterest'))[0].displayName).toBe('Pinterest @zerno_coffee · Доска 11')

      await h.payload.update({ collection: 'connections', id: connection.id, data: { status: 'needs_reconnect' }, overrideAccess: true })
      await user.press(`n:rc:${connection.id}`)
      await signIn(user, 'pinterest')
      expect((await storedCredentials('pinterest', connection.id)).boardId).toBe('549755885110')
      expect(user.lastText()).toContain('Доска 11')
    } finally {
      pin.state.boards = [{ id: pin.boardId, name: 'Кофе' }]
    }
  })

  it('Pinterest: a board picked with a forged button must be one of the user\'s boards', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    await user.press(`n:ap:${project.id}:p`)
    await signIn(user, 'pinterest')
    const [connection] = await ofPlatform(project.id, 'pinterest')
    await user.press(`n:bs:${connection.id}:123456789`)
    expect(user.lastText()).toContain(tr('en', 'conn.board_gone'))
    expect((await storedCredentials('pinterest', connection.id)).boardId).toBe(pin.boardId)
  })

  it('Instagram: the long-lived token is renewed before it lapses, and one that lapsed asks to reconnect', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await newProject(account)
    // Facebook's long-lived token, this time with three days left.
    ig.state.longLivedSeconds = 3 * 86_400
    await user.press(`n:ap:${project.id}:i`)
    expect(await signIn(user, 'instagram')).toContain('Instagram @zerno.coffee')
    ig.state.longLivedSeconds = 5_183_944
    const [connection] = await ofPlatform(project.id, 'instagram')
    const signedIn = await storedCredentials('instagram', connection.id)

    const runRefresh = async () => {
      await addJob('connections.refreshTokens', {})
      await runOnce({
        connectionString: env().DATABASE_URL,
        schema: env().GRAPHILE_WORKER_SCHEMA,
        taskList: Object.fromEntries([refreshTokensTask(async () => h.payload)]),
        logger: new Logger(() => () => {}),
      })
      await deliverNotices(h.payload)
    }
    await runRefresh()
    const renewed = await storedCredentials('instagram', connection.id)
    const exchange = ig.callsTo('GET /oauth/access_token').at(-1)!
    expect(exchange.query.get('grant_type')).toBe('fb_exchange_token')
    expect(exchange.query.get('fb_exchange_token')).toBe(signedIn.accessToken)
    expect(renewed.accessToken).not.toBe(signedIn.accessToken)
    expect(Date.parse(renewed.expiresAt!)).toBeGreaterThan(Date.now() + 59 * 86_400_000)

    // A token nobody renewed in time: Facebook answers 190/463, and the customer is asked to reconnect.
    const calls = ig.callsTo('GET /oauth/access_token').length
    await runRefresh()
    expect(ig.callsTo('GET /oauth/access_token').length).toBe(calls)
    ig.state.tokens.set(renewed.accessToken, Date.now() - 1000)
    await h.payload.update({
      collection: 'connections',
      id: connection.id,
      data: { credentials: { ...renewed, expiresAt: new Date(Date.now() - 1000).toISOString() } },
      overrideAccess: true,
    })
    await runRefresh()
    const lost = (await ofPlatform(project.id, 'instagram'))[0]
    expect(lost.status).toBe('needs_reconnect')
    expect(user.lastText()).toContain(tr('en', 'notify.connection_lost', { connection: 'Instagram @zerno.coffee', reason: t('en', 'instagram.token_invalid') }))
    await user.press(button(user, tr('en', 'fix.reconnect')))
    await user.press(button(user, tr('en', 'conn.reconnect')))
    await signIn(user, 'instagram')
    const back = await ofPlatform(project.id, 'instagram')
    expect(back.map((c) => c.id)).toEqual([connection.id])
    expect(back[0].status).toBe('active')
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
