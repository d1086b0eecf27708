import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import type { Account, SupportMessage, User } from '../payload-types'
import { SUPPORT_PHOTO_CONTEXT } from './hooks'

/** What a customer may put in one support message (Telegram's own text limit). */
export const SUPPORT_TEXT_MAX = 4000

/**
 * A customer's message to support, written as the customer (access enforced): text, a photo
 * (Telegram's file id; staff see it through /api/support-messages/:id/photo), or both.
 */
export async function writeToSupport(
  payload: Payload,
  account: Account,
  message: { text?: string; photoFileId?: string },
): Promise<SupportMessage> {
  return payload.create({
    collection: 'support-messages',
    data: {
      account: account.id,
      direction: 'in',
      text: message.text?.slice(0, SUPPORT_TEXT_MAX),
    },
    // photoFileId is system-owned: the customer's own (access-checked) call cannot carry it as data.
    context: message.photoFileId ? { [SUPPORT_PHOTO_CONTEXT]: message.photoFileId } : undefined,
    user: { ...account, collection: 'accounts' },
    overrideAccess: false,
    depth: 0,
  })
}

/** A staff reply, written as that staff member (access enforced); the notice goes with it. */
export async function replyToCustomer(payload: Payload, staff: User, accountId: number, text: string): Promise<SupportMessage> {
  return payload.create({
    collection: 'support-messages',
    data: { account: accountId, direction: 'out', text },
    user: { ...staff, collection: 'users' },
    overrideAccess: false,
    depth: 0,
  })
}

/** Telegram took the reply: stamped on the message, so staff see it arrived. */
export async function markReplyDelivered(payload: Payload, messageId: number): Promise<void> {
  await payload.update({
    collection: 'support-messages',
    id: messageId,
    data: { deliveredAt: new Date().toISOString(), deliveryError: null },
    overrideAccess: true,
    depth: 0,
    disableErrors: true,
  } as never)
}

/** Telegram refused the reply for good (the customer blocked the bot): staff see why. */
export async function markReplyUndeliverable(payload: Payload, messageId: number, reason: string): Promise<void> {
  await payload.update({
    collection: 'support-messages',
    id: messageId,
    data: { deliveryError: reason.slice(0, 300) },
    overrideAccess: true,
    depth: 0,
  })
}

export type SupportThread = {
  accountId: number
  name: string
  telegramId: number | null
  language: string | null
  unread: number
  total: number
  lastAt: string
  lastText: string
}

/**
 * The inbox: one row per account that ever wrote, those with unread messages first, then by the
 * latest message. Staff only (the admin view checks the role before calling).
 */
export async function supportThreads(payload: Payload, limit = 100): Promise<SupportThread[]> {
  const db = (payload.db as unknown as { drizzle: { execute: (q: ReturnType<typeof sql>) => Promise<{ rows: Record<string, unknown>[] }> } }).drizzle
  const { rows } = await db.execute(sql`
    select m.account_id as "accountId",
           count(*) filter (where m.unread) as unread,
           count(*) as total,
           max(m.created_at) as "lastAt",
           (array_agg(coalesce(m.text, '📷') order by m.created_at desc))[1] as "lastText",
           a.display_name as name, a.username as username, a.telegram_id as "telegramId", a.language as language
      from support_messages m
      join accounts a on a.id = m.account_id
     group by m.account_id, a.display_name, a.username, a.telegram_id, a.language
     order by (count(*) filter (where m.unread) > 0) desc, max(m.created_at) desc
     limit ${limit}`)
  return rows.map((r) => ({
    accountId: Number(r.accountId),
    name: String(r.name ?? (r.username ? `@${r.username}` : `#${r.accountId}`)),
    telegramId: r.telegramId === null ? null : Number(r.telegramId),
    language: (r.language as string | null) ?? null,
    unread: Number(r.unread),
    total: Number(r.total),
    lastAt: new Date(r.lastAt as string).toISOString(),
    lastText: String(r.lastText ?? ''),
  }))
}

/** One account's thread, oldest first, read as the staff member; opening it marks it read. */
export async function openThread(payload: Payload, staff: User, accountId: number): Promise<SupportMessage[]> {
  const user = { ...staff, collection: 'users' as const }
  const { docs } = await payload.find({
    collection: 'support-messages',
    where: { account: { equals: accountId } },
    sort: 'createdAt',
    limit: 500,
    depth: 0,
    user,
    overrideAccess: false,
  })
  if (docs.some((m) => m.unread)) {
    await payload.update({
      collection: 'support-messages',
      where: { and: [{ account: { equals: accountId } }, { unread: { equals: true } }] },
      data: { unread: false, readAt: new Date().toISOString() },
      user,
      overrideAccess: false,
      depth: 0,
    })
  }
  return docs
}
