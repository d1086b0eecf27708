import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { cachedAccountByTelegramId } from '../../accounts/cache'
import { ChannelRef } from '../../connections/telegram'
import {
  choosePinterestBoard,
  connectPlatform,
  disconnectConnection,
  getConnection,
  hasChannelConnection,
  isTransient,
  listConnections,
  markChannelLost,
  markChannelRestored,
  pinterestBoardsOf,
  testConnection,
  TYPED_PLATFORMS,
  type TypedPlatform,
} from '../../connections/service'
import { env } from '../../lib/env'
import { AppError } from '../../http/errors'
import { idOf } from '../../lib/ids'
import { createTicket, OAUTH_PLATFORMS, type OAuthPlatform } from '../../oauth/state'
import type { Connection } from '../../payload-types'
import { PublishError } from '../../publishing/connector'
import { CredentialSchemas } from '../../publishing/credentials'
import type { Platform } from '../../publishing/platforms'
import { siteAddress } from '../../projects/schema'
import { getProject, listProjects } from '../../projects/service'
import { assertRoomFor } from '../../usage/enforce'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { startFlow, type FlowDef, type FlowState, type FlowStep } from '../flows/engine'
import { tr } from '../../i18n'
import { esc, show, truncate } from '../ui'

export const PLATFORM_ICON: Record<Platform, string> = {
  wordpress: '📝',
  telegram: '✈️',
  vk: '🟦',
  pinterest: '📌',
  instagram: '📷',
}
const STATUS_ICON: Record<Connection['status'], string> = {
  active: '🟢',
  needs_reconnect: '🟠',
  disabled: '⚪',
}

/** One-letter platform codes keep callback data short. */
const PLATFORM_CODES = {
  w: 'wordpress',
  t: 'telegram',
  v: 'vk',
  p: 'pinterest',
  i: 'instagram',
} as const
type PlatformCode = keyof typeof PLATFORM_CODES
const PlatformCode = z.enum(Object.keys(PLATFORM_CODES) as [PlatformCode, ...PlatformCode[]])
const codeOf = (platform: Platform) =>
  (Object.keys(PLATFORM_CODES) as PlatformCode[]).find((c) => PLATFORM_CODES[c] === platform)!

/** The fields a customer types for each platform, in order; secrets are deleted from the chat. */
const FIELDS: Record<TypedPlatform, string[]> = {
  wordpress: ['siteUrl', 'username', 'applicationPassword'],
  telegram: ['chatId'],
  vk: ['groupId', 'accessToken'],
}
const SECRET_FIELDS = new Set(['applicationPassword', 'accessToken'])

const VkGroupId = z
  .string()
  .trim()
  .transform(
    (value) =>
      value.match(/^(?:https?:\/\/)?(?:vk\.com\/)?(?:club|public)?(\d{1,12})$/i)?.[1] ?? '',
  )
  .refine((value) => value !== '', 'vk_group')

const wp = CredentialSchemas.wordpress.shape
const FIELD_SCHEMAS: Record<string, z.ZodType<string>> = {
  // Typed as people type it (no scheme, a Cyrillic domain): normalised like a project's site.
  siteUrl: z
    .string()
    .trim()
    .max(300)
    .transform((value) => siteAddress(value) ?? '')
    .refine((value) => wp.siteUrl.safeParse(value).success, 'url'),
  username: z.string().trim().min(1).max(100),
  applicationPassword: z.string().trim().min(8).max(200),
  chatId: ChannelRef,
  groupId: VkGroupId,
  accessToken: z.string().trim().min(10).max(500),
}

/** Which answer to enter again after a refusal, by verification code. */
const FIELD_TO_FIX: Record<string, string> = {
  'verify.wordpress.wrong_password': 'applicationPassword',
  'verify.wordpress.app_passwords_disabled': 'applicationPassword',
  'verify.wordpress.not_wordpress': 'siteUrl',
  'verify.wordpress.not_logged_in': 'applicationPassword',
  'verify.wordpress.app_passwords_unavailable': 'siteUrl',
  'verify.wordpress.cannot_publish': 'username',
  'verify.vk.token_invalid': 'accessToken',
  'verify.vk.no_access': 'accessToken',
  'verify.vk.group_not_found': 'groupId',
}

function oauthConfigured(platform: OAuthPlatform): boolean {
  const e = env()
  return platform === 'pinterest'
    ? Boolean(e.PINTEREST_CLIENT_ID && e.PINTEREST_CLIENT_SECRET)
    : Boolean(e.INSTAGRAM_APP_ID && e.INSTAGRAM_APP_SECRET)
}

function platformOf(flow: FlowState): TypedPlatform {
  return z.enum(TYPED_PLATFORMS).parse(flow.data.platform)
}

/** What the customer already entered (never a secret), shown so they know it is kept. */
function keptLines(ctx: BotContext, flow: FlowState, except?: string): string {
  const lines = FIELDS[platformOf(flow)]
    .filter((field) => field !== except && flow.data[field] && !SECRET_FIELDS.has(field))
    .map((field) => `${ctx.t(`conn.field.${field}`)}: <code>${esc(flow.data[field])}</code>`)
  return lines.length > 0 ? `\n\n${ctx.t('conn.kept')}\n${lines.join('\n')}` : ''
}

function fieldStep(field: string): FlowStep {
  return {
    key: field,
    prompt: (ctx, flow) =>
      ctx.t(`conn.ask.${field}`, { bot: `@${ctx.me.username}` }) + keptLines(ctx, flow, field),
    schema: FIELD_SCHEMAS[field],
  }
}

/** Typed credentials: the platform's fields (or only the one being corrected), then a check. */
export const connectFlow: FlowDef = {
  name: 'conn.new',
  steps: (flow) =>
    FIELDS[platformOf(flow)]
      .filter((field) => !flow.data.only || field === flow.data.only)
      .map(fieldStep),
  finish: (ctx, flow) => tryConnect(ctx, flow),
}

/** After a refused check: say why, keep what was entered, offer what to change. */
export const connectFixFlow: FlowDef = {
  name: 'conn.fix',
  steps: () => [
    {
      key: 'choice',
      transient: true,
      prompt: (ctx, flow) =>
        `${flow.data.code ? `⚠️ ${ctx.t(flow.data.code)}` : ''}${keptLines(ctx, flow)}\n\n${ctx.t('conn.fix.ask')}`,
      schema: z.string().regex(/^(retry|redo:\w+)$/),
      choices: (ctx, flow) => {
        const platform = platformOf(flow)
        const first = FIELD_TO_FIX[flow.data.code ?? '']
        const fields = [...FIELDS[platform]].sort(
          (a, b) => Number(b === first) - Number(a === first),
        )
        const secretKept = FIELDS[platform].every((field) => flow.data[field])
        return [
          ...fields.map((field) => ({
            label: ctx.t('conn.fix.redo', { field: ctx.t(`conn.field.${field}`) }),
            value: `redo:${field}`,
          })),
          ...(secretKept ? [{ label: ctx.t('conn.fix.retry'), value: 'retry' }] : []),
        ]
      },
    },
  ],
  finish: async (ctx, flow, choice) => {
    if (choice === 'retry') return tryConnect(ctx, flow)
    const field = choice.slice('redo:'.length)
    const data: Record<string, string> = { ...flow.data, only: field }
    delete data.code
    await startFlow(ctx, connectFlow, { ref: flow.ref, data })
  },
}

async function tryConnect(ctx: BotContext, flow: FlowState) {
  const platform = platformOf(flow)
  const lastField = FIELDS[platform].filter((f) => !flow.data.only || f === flow.data.only).at(-1)
  if (ctx.message && lastField && SECRET_FIELDS.has(lastField)) {
    // The secret stays out of the chat history; not fatal if Telegram refuses (too old, etc.).
    await ctx.deleteMessage().catch(() => ctx.log.debug('secret message not deleted'))
  }
  await ctx.replyWithChatAction('typing').catch(() => undefined)
  const input = Object.fromEntries(FIELDS[platform].map((field) => [field, flow.data[field] ?? '']))
  const result = await connectPlatform(ctx.deps.payload, accountOf(ctx), flow.ref!, platform, input)
  if (result.ok) {
    ctx.log.info({ connection: result.connection.id, platform }, 'connection saved')
    await showConnection(
      ctx,
      result.connection.id,
      ctx.t(result.replaced ? 'conn.updated' : 'conn.saved', {
        name: result.connection.displayName,
      }),
    )
    return
  }
  ctx.log.info({ platform, code: result.code, detail: result.detail }, 'connection refused')
  const data: Record<string, string> = { ...flow.data, code: result.code }
  delete data.only
  const wrongField = FIELD_TO_FIX[result.code]
  if (wrongField && SECRET_FIELDS.has(wrongField)) delete data[wrongField]
  if (flow.name === connectFixFlow.name) {
    // Same question again: the engine shows it with this error above it.
    Object.assign(flow.data, data, { code: '' })
    if (wrongField && SECRET_FIELDS.has(wrongField)) delete flow.data[wrongField]
    throw new AppError(result.code, 422, ctx.lang)
  }
  await startFlow(ctx, connectFixFlow, { ref: flow.ref, data })
}

function connectionLine(ctx: BotContext, connection: Connection): string {
  const lines = [
    `${PLATFORM_ICON[connection.platform]} <b>${esc(connection.displayName)}</b> · ${STATUS_ICON[connection.status]} ${ctx.t(`conn.status.${connection.status}`)}`,
  ]
  if (connection.credentialsHint) lines.push(`   <code>${esc(connection.credentialsHint)}</code>`)
  if (connection.status === 'needs_reconnect' && connection.lastError)
    lines.push(`   ⚠️ ${esc(truncate(connection.lastError, 300))}`)
  return lines.join('\n')
}

export async function showConnections(ctx: BotContext, projectId: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const connections = await listConnections(ctx.deps.payload, accountOf(ctx), project)
  const lines = [ctx.t('conn.title', { project: project.name })]
  if (connections.length === 0) lines.push('', ctx.t('conn.empty'))
  const keyboard = new InlineKeyboard()
  for (const connection of connections) {
    lines.push('', connectionLine(ctx, connection))
    keyboard
      .text(
        `${PLATFORM_ICON[connection.platform]} ${truncate(connection.displayName, 40)}`,
        cb('n:o', connection.id),
      )
      .row()
  }
  keyboard.text(ctx.t('conn.add'), cb('n:a', projectId)).text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

async function showConnection(ctx: BotContext, id: number, intro?: string) {
  const connection = await getConnection(ctx.deps.payload, accountOf(ctx), id)
  const projectId = Number(idOf(connection.project))
  const lines = [connectionLine(ctx, connection)]
  if (connection.lastCheckedAt)
    lines.push(
      ctx.t('conn.checked_at', {
        when: new Date(connection.lastCheckedAt).toISOString().slice(0, 16).replace('T', ' '),
      }),
    )
  const keyboard = new InlineKeyboard()
  if (connection.status !== 'disabled') {
    keyboard.text(ctx.t('conn.test'), cb('n:t', id))
    if (connection.status === 'needs_reconnect' && canConnect(connection.platform)) {
      // OAuth platforms sign in again for this very connection; typed ones enter the same credentials.
      const oauth = (OAUTH_PLATFORMS as readonly string[]).includes(connection.platform)
      keyboard.text(ctx.t('conn.reconnect'), oauth ? cb('n:rc', id) : cb('n:ap', projectId, codeOf(connection.platform)))
    }
    if (connection.platform === 'pinterest') keyboard.row().text(ctx.t('conn.board_choose'), cb('n:b', id, 1))
    keyboard.row().text(ctx.t('conn.disconnect'), cb('n:d', id)).row()
  }
  keyboard.text(ctx.t('back'), cb('n:l', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

function canConnect(platform: Platform): boolean {
  if ((TYPED_PLATFORMS as readonly string[]).includes(platform)) return true
  return oauthConfigured(platform as OAuthPlatform)
}

async function showPlatforms(ctx: BotContext, projectId: number) {
  await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const keyboard = new InlineKeyboard()
  const available = (Object.entries(PLATFORM_CODES) as Array<[PlatformCode, Platform]>).filter(
    ([, platform]) => canConnect(platform),
  )
  available.forEach(([code, platform], index) => {
    keyboard.text(
      `${PLATFORM_ICON[platform]} ${ctx.t(`platform.${platform}`)}`,
      cb('n:ap', projectId, code),
    )
    if (index % 2 === 1) keyboard.row()
  })
  keyboard.row().text(ctx.t('back'), cb('n:l', projectId))
  await show(ctx, ctx.t('conn.choose_platform'), keyboard)
}

async function startConnecting(ctx: BotContext, projectId: number, platform: Platform, connectionId?: number) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  // A new connection past the plan's limit is refused before the customer types credentials.
  if (connectionId === undefined) await assertRoomFor(ctx.deps.payload, accountOf(ctx).id, 'connections')
  if ((TYPED_PLATFORMS as readonly string[]).includes(platform)) {
    await ctx.answerCallbackQuery()
    await show(ctx, ctx.t(`conn.intro.${platform}`, { bot: `@${ctx.me.username}` }))
    await startFlow(ctx, connectFlow, { ref: project.id, data: { platform } })
    return
  }
  const oauth = platform as OAuthPlatform
  if (!(OAUTH_PLATFORMS as readonly string[]).includes(oauth) || !oauthConfigured(oauth)) {
    await ctx.answerCallbackQuery({ text: ctx.t('conn.unavailable'), show_alert: true })
    return
  }
  const ticket = await createTicket({
    accountId: accountOf(ctx).id,
    projectId: project.id,
    platform: oauth,
    ...(connectionId ? { connectionId } : {}),
  })
  const url = `${env().SERVER_URL.replace(/\/$/, '')}/api/oauth/${oauth}/start?ticket=${ticket}`
  const keyboard = new InlineKeyboard()
    .url(ctx.t('conn.oauth_open', { platform: ctx.t(`platform.${oauth}`) }), url)
    .row()
    .text(ctx.t('back'), cb('n:l', project.id))
  await show(ctx, ctx.t('conn.oauth', { platform: ctx.t(`platform.${oauth}`) }), keyboard)
}

/** Connections of a project: list, add (typed credentials or an OAuth link), test, disconnect. */
export const connections = new Composer<BotContext>()

onButton(connections, 'n:l', z.tuple([Id]), (ctx, [projectId]) => showConnections(ctx, projectId))
onButton(connections, 'n:o', z.tuple([Id]), (ctx, [id]) => showConnection(ctx, id))
onButton(connections, 'n:a', z.tuple([Id]), (ctx, [projectId]) => showPlatforms(ctx, projectId))
onButton(connections, 'n:ap', z.tuple([Id, PlatformCode]), (ctx, [projectId, code]) =>
  startConnecting(ctx, projectId, PLATFORM_CODES[code]),
)

/** "Reconnect" on a connection: the sign-in that follows updates this connection, not a new one. */
onButton(connections, 'n:rc', z.tuple([Id]), async (ctx, [id]) => {
  const connection = await getConnection(ctx.deps.payload, accountOf(ctx), id)
  await startConnecting(ctx, Number(idOf(connection.project)), connection.platform, connection.id)
})

const BOARDS_PER_PAGE = 8
const BoardId = z.string().regex(/^\d{1,30}$/)

/** The Pinterest boards the connection's user can pin to, a page of buttons at a time. */
async function showBoards(ctx: BotContext, id: number, page: number, intro?: string) {
  let listed: Awaited<ReturnType<typeof pinterestBoardsOf>>
  try {
    listed = await pinterestBoardsOf(ctx.deps.payload, accountOf(ctx), id)
  } catch (error) {
    if (!(error instanceof PublishError)) throw error
    ctx.log.info({ connection: id, code: error.code, detail: error.detail }, 'pinterest boards not read')
    const reason = ctx.t(error.code) === error.code ? ctx.t(`publish.${error.kind}`) : ctx.t(error.code)
    return show(ctx, ctx.t('conn.board_failed', { reason }), new InlineKeyboard().text(ctx.t('back'), cb('n:o', id)))
  }
  const { connection, boards, boardId } = listed
  const current = boards.find((b) => b.id === boardId)
  const lines = [ctx.t('conn.board_title', { name: connection.displayName, current: current ? current.name : ctx.t('conn.board_none') })]
  if (boards.length === 0) lines.push('', ctx.t('conn.board_empty'))
  const pages = Math.max(1, Math.ceil(boards.length / BOARDS_PER_PAGE))
  const at = Math.min(page, pages)
  const keyboard = new InlineKeyboard()
  for (const board of boards.slice((at - 1) * BOARDS_PER_PAGE, at * BOARDS_PER_PAGE))
    keyboard.text(`${board.id === boardId ? '✅ ' : ''}${truncate(board.name, 40)}`, cb('n:bs', id, board.id)).row()
  if (at > 1) keyboard.text(ctx.t('conn.page_prev'), cb('n:b', id, at - 1))
  if (at < pages) keyboard.text(ctx.t('conn.page_next'), cb('n:b', id, at + 1))
  keyboard.row().text(ctx.t('back'), cb('n:o', id))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

onButton(connections, 'n:b', z.tuple([Id, Page]), (ctx, [id, page]) => showBoards(ctx, id, page))

onButton(connections, 'n:bs', z.tuple([Id, BoardId]), async (ctx, [id, boardId]) => {
  const chosen = await choosePinterestBoard(ctx.deps.payload, accountOf(ctx), id, boardId)
  if (!chosen) return showBoards(ctx, id, 1, ctx.t('conn.board_gone'))
  ctx.log.info({ connection: id }, 'pinterest board chosen')
  await showConnection(ctx, id, ctx.t('conn.board_chosen', { board: chosen.board.name }))
})

onButton(connections, 'n:t', z.tuple([Id]), async (ctx, [id]) => {
  await ctx.answerCallbackQuery({ text: ctx.t('conn.testing') })
  const { result } = await testConnection(ctx.deps.payload, accountOf(ctx), id)
  const intro = result.ok
    ? ctx.t('conn.test_ok')
    : `⚠️ ${ctx.t(result.code)}${isTransient(result.code) ? `\n${ctx.t('conn.test_transient')}` : ''}`
  await showConnection(ctx, id, intro)
})

onButton(connections, 'n:d', z.tuple([Id]), async (ctx, [id]) => {
  const connection = await getConnection(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('conn.disconnect_yes'), cb('n:dy', id))
    .text(ctx.t('no'), cb('n:o', id))
  await show(ctx, ctx.t('conn.disconnect_confirm', { name: connection.displayName }), keyboard)
})

onButton(connections, 'n:dy', z.tuple([Id]), async (ctx, [id]) => {
  const { connection, cancelled } = await disconnectConnection(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ connection: id, cancelled }, 'connection disabled')
  await ctx.answerCallbackQuery({ text: ctx.t('conn.disconnected_toast') })
  const intro = ctx.t('conn.disconnected', { name: connection.displayName, cancelled })
  await showConnections(ctx, Number(idOf(connection.project)), intro)
})

const LOST = new Set(['left', 'kicked', 'member', 'restricted'])
const ChannelId = z.coerce.number().int().min(-1e15).max(-1)

/**
 * The customer who made the bot an administrator of a channel is asked at once which project it
 * is for (one button each), instead of having to find "Connect" and type the channel's name;
 * without the right to post, they are asked to grant it first.
 * Nobody else is messaged: a stranger, a blocked or unverified account, or a channel one of the
 * customer's projects already has.
 */
async function offerChannel(
  ctx: BotContext,
  userId: number,
  chat: { id: number; username?: string; title: string },
  canPost: boolean,
) {
  const { payload, redis } = ctx.deps
  const account = await cachedAccountByTelegramId(payload, redis, userId)
  if (!account || account.status === 'blocked' || !account.verifiedHumanAt) return
  if (await hasChannelConnection(payload, account, chat)) return
  const lang = account.language
  if (!canPost) {
    // Connecting would fail its check: ask for the right first; the next promotion offers again.
    await ctx.api.sendMessage(userId, tr(lang, 'conn.channel_offer_no_rights', { channel: chat.title }), { parse_mode: 'HTML' })
    return
  }
  const projects = await listProjects(payload, account, { page: 1, limit: 8 })
  const keyboard = new InlineKeyboard()
  for (const project of projects.docs)
    keyboard.text(`📁 ${truncate(project.name, 40)}`, cb('n:ch', project.id, chat.id)).row()
  if (projects.totalDocs === 0) keyboard.text(tr(lang, 'menu.new_project'), 'p:new').row()
  const key = projects.totalDocs === 0 ? 'conn.channel_offer_no_project' : 'conn.channel_offer'
  await ctx.api.sendMessage(userId, tr(lang, key, { channel: chat.title }), {
    parse_mode: 'HTML',
    reply_markup: keyboard,
  })
  ctx.log.info({ chat: chat.id, account: account.id }, 'offered to connect a channel')
}

/** "Connect to this project" under the offer: the same check and save as typing the channel in. */
onButton(connections, 'n:ch', z.tuple([Id, ChannelId]), async (ctx, [projectId, chatId]) => {
  await ctx.answerCallbackQuery({ text: ctx.t('conn.testing') })
  const result = await connectPlatform(ctx.deps.payload, accountOf(ctx), projectId, 'telegram', {
    chatId: String(chatId),
  })
  if (!result.ok) {
    ctx.log.info({ code: result.code, chat: chatId }, 'offered channel refused')
    const keyboard = new InlineKeyboard().text(ctx.t('conn.list'), cb('n:l', projectId))
    return show(ctx, `⚠️ ${ctx.t(result.code)}`, keyboard)
  }
  ctx.log.info({ connection: result.connection.id }, 'offered channel connected')
  await showConnection(ctx, result.connection.id, ctx.t('conn.saved', { name: result.connection.displayName }))
})

/**
 * The bot's own membership in a channel or group changed. Removed or demoted: the connections
 * to that chat need reconnecting and their owners are told. Made administrator again: waiting
 * connections are checked and restored. Private chats (a user blocking the bot) are ignored.
 */
export const channelMembership = new Composer<BotContext>()

channelMembership.on('my_chat_member', async (ctx) => {
  const update = ctx.myChatMember
  if (update.chat.type === 'private') return
  const chat = {
    id: update.chat.id,
    username: 'username' in update.chat ? update.chat.username : undefined,
  }
  const status = update.new_chat_member.status
  try {
    if (LOST.has(status)) {
      const lost = await markChannelLost(ctx.deps.payload, chat, status)
      ctx.log.info({ chat: chat.id, status, connections: lost.length }, 'bot lost a channel')
    } else if (status === 'administrator' || status === 'creator') {
      const restored = await markChannelRestored(ctx.deps.payload, chat)
      ctx.log.info({ chat: chat.id, connections: restored.length }, 'bot admin in a channel again')
      if (restored.length === 0 && update.chat.type === 'channel' && !update.from.is_bot) {
        const member = update.new_chat_member
        const canPost = member.status === 'creator' || member.can_post_messages === true
        await offerChannel(ctx, update.from.id, { ...chat, title: update.chat.title }, canPost)
      }
    }
  } catch (error) {
    ctx.log.error({ err: error, chat: chat.id, status }, 'channel membership change not recorded')
  }
})
