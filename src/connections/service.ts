import { NotFound, type Payload } from 'payload'

import { t } from '../i18n'
import { idOf } from '../lib/ids'
import { logger } from '../lib/logger'
import { inTransaction } from '../jobs/addJob'
import { notice } from '../notify'
import type { Account, Connection, Project } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'
import { PublishError } from '../publishing/connector'
import { instagramTokenDue, refreshInstagramToken } from '../publishing/connectors/instagram'
import { pinterestBoards, type PinterestBoard } from '../publishing/connectors/pinterest'
import { credentialSchema, credentialsHint, openCredentials, type Credentials } from '../publishing/credentials'
import { publishContext } from '../publishing/publish'
import { verifyConnection, type VerifyResult } from '../publishing/verify'
import { channelHints, channelRef, resolveChannelId } from './telegram'

/** Platforms connected by typing credentials into the bot; the others go through OAuth. */
export const TYPED_PLATFORMS = ['wordpress', 'telegram', 'vk'] as const
export type TypedPlatform = (typeof TYPED_PLATFORMS)[number]

export type ConnectResult =
  | { ok: true; connection: Connection; replaced: boolean }
  | { ok: false; code: string; detail?: string }

/**
 * Verification outcomes that say nothing about the credentials (the platform or our bot is
 * unavailable): they never mark a connection "needs reconnect" (postiz #1091, PR #1822).
 */
const TRANSIENT = new Set([
  'verify.unreachable',
  'verify.rate_limited',
  'verify.platform_error',
  'verify.telegram.no_bot',
])

export function isTransient(code: string): boolean {
  return TRANSIENT.has(code)
}

/**
 * The customer's connections of a project, hiding the ones they disconnected. Takes the project
 * as the caller already read it as this account (so it is theirs) instead of reading it again.
 */
export async function listConnections(
  payload: Payload,
  account: Account,
  project: Project,
): Promise<Connection[]> {
  const { docs } = await payload.find({
    collection: 'connections',
    where: {
      project: { equals: project.id },
      status: { not_equals: 'disabled' },
    },
    sort: 'createdAt',
    limit: 50,
    depth: 0,
    ...actingAs(account),
  })
  return docs
}

/** Payload's NotFound for a connection that is not this account's (or was disconnected). */
export async function getConnection(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Connection> {
  const connection = await payload.findByID({
    collection: 'connections',
    id,
    depth: 0,
    ...actingAs(account),
  })
  return connection
}

/** Shapes what the customer typed into the platform's credentials (ids as the API takes them). */
async function credentialsFrom(
  platform: TypedPlatform,
  input: Record<string, string>,
): Promise<unknown> {
  if (platform === 'telegram') {
    const ref = channelRef(input.chatId ?? '')
    if (ref === null) return { chatId: input.chatId }
    return { chatId: (await resolveChannelId(ref)) ?? ref }
  }
  if (platform === 'vk') {
    return {
      groupId: Number(input.groupId),
      accessToken: input.accessToken?.trim(),
    }
  }
  return {
    siteUrl: input.siteUrl?.trim().replace(/\/+$/, ''),
    username: input.username?.trim(),
    applicationPassword: input.applicationPassword?.trim(),
  }
}

/**
 * Connects a platform to a project: the credentials are validated, verified against the platform
 * with a real read-only call, and only then saved (sealed by the collection) as the account.
 * The same credentials entered again (same site and user, same channel, same community) update
 * the existing connection instead of making a second one: that is how a customer reconnects.
 */
export async function connectPlatform(
  payload: Payload,
  account: Account,
  projectId: number,
  platform: TypedPlatform,
  input: Record<string, string>,
): Promise<ConnectResult> {
  await getProject(payload, account, projectId)
  const parsed = credentialSchema(platform).safeParse(await credentialsFrom(platform, input))
  if (!parsed.success) return { ok: false, code: 'verify.invalid_credentials' }
  const credentials = parsed.data
  const verified = await verifyConnection(platform, credentials)
  if (!verified.ok) return verified

  const hint = credentialsHint(platform, credentials)
  const { docs: same } = await payload.find({
    collection: 'connections',
    where: {
      project: { equals: projectId },
      platform: { equals: platform },
      credentialsHint: { equals: hint },
    },
    limit: 1,
    depth: 0,
    ...actingAs(account),
  })
  const now = new Date().toISOString()
  const fields = {
    displayName: verified.displayName.slice(0, 120),
    credentials,
    status: 'active' as const,
    lastError: null,
    lastCheckedAt: now,
  }
  if (same[0]) {
    const connection = await payload.update({
      collection: 'connections',
      id: same[0].id,
      data: fields as never,
      depth: 0,
      ...actingAs(account),
    })
    return { ok: true, connection, replaced: true }
  }
  const connection = await payload.create({
    collection: 'connections',
    data: { ...fields, platform, project: projectId } as never,
    depth: 0,
    ...actingAs(account),
  })
  return { ok: true, connection, replaced: false }
}

/** What an OAuth sign-in brought back (src/oauth/providers.ts). */
export type OAuthConnected = {
  displayName: string
  externalId: string
  credentials: Record<string, unknown>
  boards?: PinterestBoard[]
}

/** Whether stored credentials belong to the platform account that just signed in. */
function sameIdentity(platform: 'pinterest' | 'instagram', stored: Record<string, unknown>, connected: OAuthConnected): boolean {
  if (platform === 'instagram') return stored.igUserId === connected.externalId
  // Connections made before the username was stored are known by their board.
  if (stored.username) return stored.username === connected.externalId
  return !!stored.boardId && !!connected.boards?.some((board) => board.id === stored.boardId)
}

/**
 * The connection an OAuth sign-in updates: the one its "Reconnect" button named (this project's,
 * same platform), else the project's connection to the same platform account, disconnected ones
 * included; none means a new connection.
 */
async function connectionToUpdate(
  payload: Payload,
  account: Account,
  projectId: number,
  platform: 'pinterest' | 'instagram',
  connected: OAuthConnected,
  connectionId: number | undefined,
): Promise<{ connection: Connection; stored: Record<string, unknown> } | null> {
  const { docs } = await payload.find({
    collection: 'connections',
    where: { project: { equals: projectId }, platform: { equals: platform } },
    sort: 'createdAt',
    limit: 100,
    depth: 0,
    ...actingAs(account),
  })
  const candidates = connectionId !== undefined ? docs.filter((doc) => doc.id === connectionId) : []
  for (const connection of candidates.length > 0 ? candidates : docs) {
    // The account cannot read its credentials; having found the row as the account, the system opens them.
    const row = await payload.findByID({ collection: 'connections', id: connection.id, depth: 0, overrideAccess: true })
    let stored: Record<string, unknown> = {}
    try {
      stored = openCredentials(platform, row.credentials)
    } catch (error) {
      if (!(error instanceof PublishError)) throw error
    }
    if (candidates.length > 0 || sameIdentity(platform, stored, connected)) return { connection, stored }
  }
  return null
}

/**
 * Saves an OAuth sign-in as the account. Signing in again (the "Reconnect" button, or connecting
 * the same platform account again) updates that connection in place, so the schedules and
 * publications that point at it carry on; a Pinterest connection keeps its board when the user can
 * still pin to it, else takes their first board. The customer hears in the bot that it is
 * connected (with the board to change, on Pinterest), in the same transaction as the write.
 */
export async function connectOAuth(
  payload: Payload,
  account: Account,
  projectId: number,
  platform: 'pinterest' | 'instagram',
  connected: OAuthConnected,
  connectionId?: number,
): Promise<{ connection: Connection; replaced: boolean }> {
  await getProject(payload, account, projectId)
  const target = await connectionToUpdate(payload, account, projectId, platform, connected, connectionId)
  let { displayName, credentials } = connected
  if (platform === 'pinterest') {
    const boards = connected.boards ?? []
    const board = boards.find((b) => b.id === target?.stored.boardId) ?? boards[0]
    if (board) {
      credentials = { ...credentials, boardId: board.id }
      displayName = `${displayName} · ${board.name}`
    }
  }
  const fields = {
    displayName: displayName.slice(0, 120),
    credentials,
    status: 'active' as const,
    lastError: null,
    lastCheckedAt: new Date().toISOString(),
  }
  return inTransaction(payload, async (req) => {
    const connection = target
      ? await payload.update({ collection: 'connections', id: target.connection.id, data: fields as never, depth: 0, ...actingAs(account), req })
      : await payload.create({ collection: 'connections', data: { ...fields, platform, project: projectId } as never, depth: 0, ...actingAs(account), req })
    await notice(req, {
      accountId: account.id,
      event: 'connection.connected',
      data: { connectionId: connection.id, connection: connection.displayName, platform, replaced: !!target },
    })
    return { connection, replaced: !!target }
  })
}

/** The boards of a Pinterest connection's user, read with its token (renewed and stored when due). */
export async function pinterestBoardsOf(payload: Payload, account: Account, id: number): Promise<{ connection: Connection; boards: PinterestBoard[]; boardId?: string }> {
  const connection = await getConnection(payload, account, id)
  if (connection.platform !== 'pinterest') throw new NotFound()
  const row = await payload.findByID({ collection: 'connections', id, depth: 0, overrideAccess: true })
  const stored = openCredentials('pinterest', row.credentials)
  const boards = await pinterestBoards(stored, publishContext(payload, id))
  return { connection, boards, boardId: stored.boardId }
}

/**
 * Points a Pinterest connection at another of its user's boards (one it can pin to now), as the
 * account; the board's name goes into the connection's name.
 */
export async function choosePinterestBoard(payload: Payload, account: Account, id: number, boardId: string): Promise<{ connection: Connection; board: PinterestBoard } | null> {
  const { connection, boards } = await pinterestBoardsOf(payload, account, id)
  const board = boards.find((b) => b.id === boardId)
  if (!board) return null
  // Read again: listing the boards may have renewed and stored the token.
  const row = await payload.findByID({ collection: 'connections', id, depth: 0, overrideAccess: true })
  const stored = openCredentials('pinterest', row.credentials)
  const who = stored.username ? `Pinterest @${stored.username}` : connection.displayName.split(' · ')[0]
  const updated = await payload.update({
    collection: 'connections',
    id,
    data: { credentials: { ...stored, boardId: board.id }, displayName: `${who} · ${board.name}`.slice(0, 120) } as never,
    depth: 0,
    ...actingAs(account),
  })
  return { connection: updated, board }
}

/**
 * Renews Instagram's long-lived tokens a week before they lapse (they last about 60 days and
 * nothing else renews them), a system job over every active Instagram connection. A token the
 * platform no longer accepts marks its connection "needs reconnect" and tells its owner, with
 * the button to sign in again; an unreachable platform is tried on the next run.
 */
export async function refreshInstagramTokens(payload: Payload, now = Date.now()): Promise<{ refreshed: number; lost: number }> {
  let refreshed = 0
  let lost = 0
  for (let page = 1; ; page++) {
    const { docs, hasNextPage } = await payload.find({
      collection: 'connections',
      where: { platform: { equals: 'instagram' }, status: { equals: 'active' } },
      sort: 'id',
      page,
      limit: 100,
      depth: 0,
      overrideAccess: true,
    })
    for (const row of docs) {
      let stored: Credentials<'instagram'>
      try {
        stored = openCredentials('instagram', row.credentials)
      } catch {
        continue
      }
      if (!instagramTokenDue(stored, now)) continue
      try {
        const next = await refreshInstagramToken(stored)
        await publishContext(payload, row.id).saveCredentials?.(next)
        refreshed += 1
        logger().info({ connection: row.id }, 'instagram token refreshed')
      } catch (error) {
        if (!(error instanceof PublishError)) throw error
        if (error.kind !== 'reauth' && error.kind !== 'disconnected') {
          logger().warn({ connection: row.id, err: error.detail }, 'instagram token refresh failed, tried again later')
          continue
        }
        lost += 1
        await markNeedsReconnect(payload, row, error)
      }
    }
    if (!hasNextPage) break
  }
  return { refreshed, lost }
}

/** A system write: the connection waits for its owner to sign in again, and they are told why. */
async function markNeedsReconnect(payload: Payload, connection: Connection, failure: PublishError): Promise<void> {
  const accountId = Number(idOf(connection.account))
  const owner = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true })
  const reason = t(owner.language, failure.code)
  await inTransaction(payload, async (req) => {
    await payload.update({
      collection: 'connections',
      id: connection.id,
      data: { status: 'needs_reconnect', lastError: reason, lastErrorAt: new Date().toISOString() },
      overrideAccess: true,
      req,
    })
    await notice(req, { accountId, event: 'connection.lost', data: { connectionId: connection.id, connection: connection.displayName, reason } })
  })
  logger().warn({ connection: connection.id, err: failure.detail }, 'connection needs reconnecting')
}

/**
 * Checks a saved connection again. The account cannot read its own credentials (they are
 * write-only for everyone), so after the ownership check above, the system opens them here,
 * exactly as the publish job does; the outcome is written as the account.
 */
export async function testConnection(
  payload: Payload,
  account: Account,
  id: number,
): Promise<{ connection: Connection; result: VerifyResult }> {
  const owned = await getConnection(payload, account, id)
  const stored = await payload.findByID({
    collection: 'connections',
    id: owned.id,
    depth: 0,
    overrideAccess: true,
  })
  // A stored blob that no longer opens or fits its platform's schema is a failed check like a
  // refused password: the connection needs reconnecting (the fields are named, never the values).
  let result: VerifyResult
  try {
    result = await verifyConnection(stored.platform, openCredentials(stored.platform, stored.credentials))
  } catch (error) {
    if (!(error instanceof PublishError)) throw error
    logger().warn({ connection: stored.id, err: error.detail }, 'stored credentials unusable')
    result = { ok: false, code: 'verify.invalid_credentials', detail: error.detail }
  }
  const now = new Date().toISOString()
  let data: Partial<Connection> = { lastCheckedAt: now }
  if (result.ok) {
    data = {
      ...data,
      lastError: null,
      ...(owned.status === 'disabled' ? {} : { status: 'active' }),
    }
  } else if (!isTransient(result.code)) {
    data = {
      ...data,
      lastError: t(account.language, result.code),
      lastErrorAt: now,
      ...(owned.status === 'disabled' ? {} : { status: 'needs_reconnect' }),
    }
  }
  const connection = await payload.update({
    collection: 'connections',
    id,
    data,
    depth: 0,
    ...actingAs(account),
  })
  return { connection, result }
}

/**
 * Disconnecting disables rather than deletes: publications already made keep pointing at the
 * connection (history, remote links), schedules skip it, and what was still queued for it is
 * cancelled now instead of failing later. The sealed credentials stay until the project is
 * deleted; entering the same credentials again re-activates the same connection.
 */
export async function disconnectConnection(
  payload: Payload,
  account: Account,
  id: number,
): Promise<{ connection: Connection; cancelled: number }> {
  await getConnection(payload, account, id)
  const connection = await payload.update({
    collection: 'connections',
    id,
    data: { status: 'disabled' },
    depth: 0,
    ...actingAs(account),
  })
  const { docs } = await payload.update({
    collection: 'publications',
    where: { connection: { equals: id }, status: { equals: 'queued' } },
    data: { status: 'cancelled' },
    depth: 0,
    ...actingAs(account),
  })
  return { connection, cancelled: docs.length }
}

async function connectionsForChannel(
  payload: Payload,
  chat: { id: number; username?: string },
  status: Connection['status'],
): Promise<Connection[]> {
  const { docs } = await payload.find({
    collection: 'connections',
    where: {
      platform: { equals: 'telegram' },
      status: { equals: status },
      credentialsHint: { in: channelHints(chat) },
    },
    limit: 100,
    depth: 0,
    overrideAccess: true,
  })
  return docs
}

/** Whether this account already has a connection (any project, not disconnected) to the channel. */
export async function hasChannelConnection(
  payload: Payload,
  account: Account,
  chat: { id: number; username?: string },
): Promise<boolean> {
  const { totalDocs } = await payload.count({
    collection: 'connections',
    where: {
      platform: { equals: 'telegram' },
      status: { not_equals: 'disabled' },
      credentialsHint: { in: channelHints(chat) },
    },
    ...actingAs(account),
  })
  return totalDocs > 0
}

/**
 * The bot was removed from a channel or lost its admin rights (a `my_chat_member` update). No
 * customer is acting here, so this is a system write: every active connection to that channel
 * needs reconnecting, and each owner hears about it in their language.
 */
export async function markChannelLost(
  payload: Payload,
  chat: { id: number; username?: string; title?: string },
  newStatus: string,
): Promise<Connection[]> {
  const lost = await connectionsForChannel(payload, chat, 'active')
  const now = new Date().toISOString()
  for (const connection of lost) {
    const accountId = Number(
      typeof connection.account === 'object' ? connection.account.id : connection.account,
    )
    const owner = await payload.findByID({
      collection: 'accounts',
      id: accountId,
      depth: 0,
      overrideAccess: true,
    })
    // The connection's state and its owner's notice are one write.
    await inTransaction(payload, async (req) => {
      await payload.update({
        collection: 'connections',
        id: connection.id,
        data: {
          status: 'needs_reconnect',
          lastError: t(owner.language, 'connection.bot_removed_reason', {
            status: newStatus,
          }),
          lastErrorAt: now,
        },
        overrideAccess: true,
        req,
      })
      await notice(req, { accountId, event: 'channel.lost', data: { channel: connection.displayName } })
    })
    logger().info(
      { connection: connection.id, chat: chat.id, newStatus },
      'channel connection lost',
    )
  }
  return lost
}

/**
 * The bot was made an administrator of a channel again: connections to it that were waiting
 * for a reconnect are verified and, if the bot may post, active again (system write, as above).
 */
export async function markChannelRestored(
  payload: Payload,
  chat: { id: number; username?: string },
): Promise<Connection[]> {
  const waiting = await connectionsForChannel(payload, chat, 'needs_reconnect')
  const restored: Connection[] = []
  for (const connection of waiting) {
    const result = await verifyConnection('telegram', { chatId: chat.id })
    if (!result.ok) continue
    const updated = await inTransaction(payload, async (req) => {
      const doc = await payload.update({
        collection: 'connections',
        id: connection.id,
        data: {
          status: 'active',
          lastError: null,
          lastCheckedAt: new Date().toISOString(),
        },
        overrideAccess: true,
        req,
      })
      await notice(req, { accountId: Number(connection.account), event: 'channel.restored', data: { channel: connection.displayName } })
      return doc
    })
    restored.push(updated)
  }
  return restored
}
