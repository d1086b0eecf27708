import { GrammyError, HttpError } from 'grammy'
import { z } from 'zod'

import { env } from '../lib/env'
import { channelApi } from '../telegram/client'
import { PublishError } from './connector'
import { CredentialSchemas, type Credentials } from './credentials'
import { basicAuth, httpCall, trimSlash, type HttpAnswer } from './http'
import type { Platform } from './platforms'
import { vkCall } from './vkApi'

/** `code` is an i18n key (ru + en) to show the customer; `detail` is for staff and logs. */
export type VerifyResult = { ok: true; displayName: string } | { ok: false; code: string; detail?: string }

const VERIFY_TIMEOUT_MS = 15_000

const fail = (code: string, detail?: string): VerifyResult => ({ ok: false, code, ...(detail ? { detail } : {}) })

/**
 * Checks that stored or freshly entered credentials can publish, with one or two cheap read-only
 * calls, before a connection is saved or when the customer asks "does it still work?".
 * Never throws for a platform's answer: every outcome is a result with a translated code.
 */
export async function verifyConnection<P extends Platform>(platform: P, credentials: Credentials<P>): Promise<VerifyResult> {
  const parsed = CredentialSchemas[platform].safeParse(credentials)
  if (!parsed.success) return fail('verify.invalid_credentials', parsed.error.issues.map((i) => i.path.join('.')).join(', '))
  try {
    switch (platform) {
      case 'wordpress':
        return await verifyWordpress(parsed.data as Credentials<'wordpress'>)
      case 'vk':
        return await verifyVk(parsed.data as Credentials<'vk'>)
      case 'telegram':
        return await verifyTelegram(parsed.data as Credentials<'telegram'>)
      case 'pinterest':
        return await verifyPinterest(parsed.data as Credentials<'pinterest'>)
      case 'instagram':
        return await verifyInstagram(parsed.data as Credentials<'instagram'>)
    }
    return fail('verify.platform_error', `unknown platform ${platform}`)
  } catch (error) {
    if (error instanceof PublishError && error.code.endsWith('.private_address'))
      return fail('verify.private_address', error.detail)
    if (error instanceof PublishError) return fail('verify.unreachable', error.detail)
    return fail('verify.platform_error', error instanceof Error ? error.message : String(error))
  }
}

const get = (platform: string, url: string, headers: Record<string, string> = {}) =>
  // WordPress sites are typed by the customer: public addresses only.
  httpCall(platform, url, { headers, timeoutMs: VERIFY_TIMEOUT_MS, publicOnly: platform === 'wordpress' })

function overloaded(answer: HttpAnswer): VerifyResult | undefined {
  if (answer.status === 429) return fail('verify.rate_limited', `HTTP 429`)
  if (answer.status >= 500) return fail('verify.unreachable', `HTTP ${answer.status}`)
  return undefined
}

const WpError = z.object({ code: z.string(), message: z.string().optional() })
const WpUser = z.object({ id: z.number(), name: z.string(), capabilities: z.record(z.string(), z.boolean()).optional() })

async function verifyWordpress({ siteUrl, username, applicationPassword }: Credentials<'wordpress'>): Promise<VerifyResult> {
  const answer = await get('wordpress', `${trimSlash(siteUrl)}/wp-json/wp/v2/users/me?context=edit`, {
    Authorization: basicAuth(username, applicationPassword),
  })
  const error = WpError.safeParse(answer.json)
  if (answer.status === 401 || answer.status === 403) {
    if (!error.success) return fail('verify.wordpress.not_wordpress', `HTTP ${answer.status} without a WordPress error`)
    if (error.data.code === 'rest_not_logged_in') return notLoggedIn(siteUrl)
    if (error.data.code.startsWith('application_passwords_disabled')) return fail('verify.wordpress.app_passwords_disabled', error.data.code)
    // incorrect_password, invalid_username, invalid_email: the credentials reached WordPress.
    return fail('verify.wordpress.wrong_password', error.data.code)
  }
  const busy = overloaded(answer)
  if (busy) return busy
  const user = WpUser.safeParse(answer.json)
  if (answer.status !== 200 || !user.success) return fail('verify.wordpress.not_wordpress', `HTTP ${answer.status}`)
  if (user.data.capabilities && !user.data.capabilities.publish_posts) {
    return fail('verify.wordpress.cannot_publish', `user ${user.data.name} lacks publish_posts`)
  }
  return { ok: true, displayName: `${new URL(siteUrl).host} (${user.data.name})` }
}

/**
 * WordPress ignored the credentials (rest_not_logged_in). It does so in three cases
 * (wp_validate_application_password, wp_authenticate_application_password): application passwords
 * are unavailable on the site (no HTTPS, or a plugin turned them off), which the REST index shows
 * by leaving them out of `authentication`; nobody on the site has created an application password
 * yet, so the customer typed the login password; or the Authorization header never reached PHP.
 * The last two look the same from outside, so the customer hears both, the likelier first.
 */
async function notLoggedIn(siteUrl: string): Promise<VerifyResult> {
  const index = await get('wordpress', `${trimSlash(siteUrl)}/wp-json/`)
  const authentication = z.object({ authentication: z.record(z.string(), z.unknown()) }).safeParse(index.json)
  if (index.status === 200 && authentication.success && !('application-passwords' in authentication.data.authentication)) {
    return fail('verify.wordpress.app_passwords_unavailable', 'the REST index lists no application-passwords authentication')
  }
  return fail('verify.wordpress.not_logged_in', 'rest_not_logged_in with credentials sent')
}

const VkGroup = z.object({ id: z.number(), name: z.string(), screen_name: z.string().optional() })

const VK_VERIFY_CODES: Record<string, string> = {
  'vk.token_invalid': 'verify.vk.token_invalid',
  'vk.no_access': 'verify.vk.no_access',
  'vk.rejected': 'verify.vk.group_not_found',
  'vk.rate_limited': 'verify.rate_limited',
}

async function verifyVk({ groupId, accessToken }: Credentials<'vk'>): Promise<VerifyResult> {
  let response: unknown
  try {
    response = await vkCall('groups.getById', { group_id: groupId }, accessToken, { timeoutMs: VERIFY_TIMEOUT_MS })
  } catch (error) {
    if (!(error instanceof PublishError)) throw error
    return fail(VK_VERIFY_CODES[error.code] ?? 'verify.unreachable', error.detail)
  }
  // groups.getById answers { groups: [...] } since API 5.139 and a bare array before.
  const list = Array.isArray(response) ? response : (response as { groups?: unknown } | null)?.groups
  const groups = z.array(VkGroup).safeParse(list)
  const found = groups.success ? groups.data.find((g) => g.id === groupId) : undefined
  if (!found) return fail('verify.vk.group_not_found', `club${groupId}`)
  return { ok: true, displayName: `VK ${found.name}` }
}

async function verifyTelegram({ chatId }: Credentials<'telegram'>): Promise<VerifyResult> {
  const api = channelApi({ timeoutSeconds: VERIFY_TIMEOUT_MS / 1000 })
  if (!api) return fail('verify.telegram.no_bot', 'TELEGRAM_BOT_TOKEN is not set')
  try {
    const me = await api.getMe()
    const chat = await api.getChat(chatId)
    const member = await api.getChatMember(chatId, me.id)
    const title = 'title' in chat && chat.title ? chat.title : String(chatId)
    if (chat.type === 'channel') {
      if (member.status === 'creator') return { ok: true, displayName: `Telegram ${title}` }
      if (member.status !== 'administrator') return fail('verify.telegram.not_admin', member.status)
      if (!member.can_post_messages) return fail('verify.telegram.cannot_post', 'can_post_messages is false')
      return { ok: true, displayName: `Telegram ${title}` }
    }
    if (member.status === 'left' || member.status === 'kicked') return fail('verify.telegram.not_admin', member.status)
    if (member.status === 'restricted' && !member.can_send_messages) return fail('verify.telegram.cannot_post', 'restricted')
    return { ok: true, displayName: `Telegram ${title}` }
  } catch (error) {
    if (error instanceof GrammyError) {
      if (error.error_code === 401) return fail('verify.telegram.no_bot', error.description)
      if (error.error_code === 429) return fail('verify.rate_limited', error.description)
      if (/chat not found/i.test(error.description) || error.error_code === 400 || error.error_code === 403) {
        return fail('verify.telegram.chat_not_found', error.description)
      }
      return fail('verify.platform_error', `${error.error_code} ${error.description}`)
    }
    if (error instanceof HttpError) return fail('verify.unreachable', error.message)
    throw error
  }
}

async function verifyPinterest({ accessToken, boardId }: Credentials<'pinterest'>): Promise<VerifyResult> {
  const base = trimSlash(env().PINTEREST_API_BASE)
  const auth = { Authorization: `Bearer ${accessToken}` }
  const user = await get('pinterest', `${base}/v5/user_account`, auth)
  if (user.status === 401) return fail('verify.reauth', 'HTTP 401')
  const busy = overloaded(user)
  if (busy) return busy
  const account = z.object({ username: z.string() }).safeParse(user.json)
  if (user.status !== 200 || !account.success) return fail('verify.platform_error', `HTTP ${user.status}`)
  if (!boardId) return fail('verify.pinterest.no_board', account.data.username)
  const board = await get('pinterest', `${base}/v5/boards/${encodeURIComponent(boardId)}`, auth)
  if (board.status === 404 || board.status === 403) return fail('verify.pinterest.board_not_found', boardId)
  const boardBusy = overloaded(board)
  if (boardBusy) return boardBusy
  const name = z.object({ name: z.string() }).safeParse(board.json)
  return { ok: true, displayName: `Pinterest @${account.data.username}${name.success ? ` · ${name.data.name}` : ''}` }
}

const GraphError = z.object({ error: z.object({ message: z.string(), code: z.number().optional() }) })

async function verifyInstagram({ accessToken, igUserId }: Credentials<'instagram'>): Promise<VerifyResult> {
  const query = new URLSearchParams({ fields: 'id,username', access_token: accessToken })
  const answer = await get('instagram', `${trimSlash(env().INSTAGRAM_GRAPH_BASE)}/${igUserId}?${query}`)
  const error = GraphError.safeParse(answer.json)
  if (error.success) {
    // 190: the token expired or was revoked; 100/803: no such object for this token.
    if (error.data.error.code === 190 || answer.status === 401) return fail('verify.reauth', error.data.error.message)
    if ([4, 17, 32, 613].includes(error.data.error.code ?? 0)) return fail('verify.rate_limited', error.data.error.message)
    if (error.data.error.code === 100 || error.data.error.code === 803) return fail('verify.instagram.account_not_found', error.data.error.message)
  }
  const busy = overloaded(answer)
  if (busy) return busy
  const account = z.object({ id: z.string(), username: z.string().optional() }).safeParse(answer.json)
  if (answer.status !== 200 || !account.success) return fail('verify.platform_error', `HTTP ${answer.status}`)
  return { ok: true, displayName: `Instagram @${account.data.username ?? account.data.id}` }
}
