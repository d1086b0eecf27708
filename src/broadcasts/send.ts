import { GrammyError, HttpError } from 'grammy'
import type { InlineKeyboardMarkup } from 'grammy/types'
import type { Payload, Where } from 'payload'
import type { Logger } from 'pino'

import { t } from '../i18n'
import type { Account, Broadcast } from '../payload-types'
import { chatApi } from '../telegram/client'
import { BROADCAST_JOB } from './hooks'

/** The bot's callback data of the per-message "Unsubscribe" button (handled in src/bot/features/announcements.ts). */
export const UNSUBSCRIBE_DATA = 'bc:off'

/** Messages in flight at once: enough to fill Telegram's 30/s at real latency; the pacing decides. */
const IN_FLIGHT = 8
const PAGE = 200
const COUNTS_EVERY_MS = 2_000

export type Recipient = Pick<Account, 'id' | 'telegramId' | 'language'>

/** The announcement as a customer of `language` reads it: their text, the link button, Unsubscribe. */
export function renderBroadcast(broadcast: Broadcast, language: string): { text: string; replyMarkup: InlineKeyboardMarkup } {
  const en = language === 'en'
  const rows: InlineKeyboardMarkup['inline_keyboard'] = []
  const label = en ? broadcast.button?.textEn : broadcast.button?.textRu
  if (broadcast.button?.url && label) rows.push([{ text: label, url: broadcast.button.url }])
  rows.push([{ text: t(language, 'broadcast.unsubscribe'), callback_data: UNSUBSCRIBE_DATA }])
  return { text: en ? broadcast.textEn : broadcast.textRu, replyMarkup: { inline_keyboard: rows } }
}

/** Whether the accounts collection records activity (`lastSeenAt`, kept by the bot at most once a minute). */
function hasLastSeen(payload: Payload): boolean {
  return payload.collections.accounts.config.flattenedFields.some((f) => f.name === 'lastSeenAt')
}

/**
 * Who a broadcast goes to: active accounts that did not opt out, did not block the bot and are
 * not deleted, narrowed by the segment (plans, languages, seen within N days).
 */
export function segmentWhere(payload: Payload, broadcast: Pick<Broadcast, 'segment'>, log?: Logger): Where {
  const and: Where[] = [
    { status: { equals: 'active' } },
    { or: [{ announcementsOff: { equals: false } }, { announcementsOff: { exists: false } }] },
    { botBlockedAt: { exists: false } },
    { deletedAt: { exists: false } },
  ]
  const segment = broadcast.segment
  if (segment?.plans?.length) and.push({ plan: { in: segment.plans } })
  if (segment?.languages?.length) and.push({ language: { in: segment.languages } })
  if (segment?.activeWithinDays) {
    if (hasLastSeen(payload)) {
      and.push({ lastSeenAt: { greater_than_equal: new Date(Date.now() - segment.activeWithinDays * 86_400_000).toISOString() } })
    } else {
      log?.warn('accounts record no lastSeenAt yet: the activity filter of the segment is ignored')
    }
  }
  return { and }
}

/** How many accounts a segment reaches now (the admin's preview and the job's `recipients`). */
export async function countSegment(payload: Payload, broadcast: Pick<Broadcast, 'segment'>): Promise<number> {
  return (await payload.count({ collection: 'accounts', where: segmentWhere(payload, broadcast), overrideAccess: true })).totalDocs
}

type Outcome = 'sent' | 'failed' | 'blocked' | 'unknown'

/** Thrown to end a run early: the job is retried later and carries on after the recorded recipients. */
export class BroadcastPaused extends Error {}

async function updateCounts(payload: Payload, broadcast: Broadcast, extra: Partial<Broadcast> = {}) {
  const count = async (status: string) =>
    (await payload.count({ collection: 'broadcast-deliveries', where: { and: [{ broadcast: { equals: broadcast.id } }, { status: { equals: status } }] }, overrideAccess: true })).totalDocs
  const [sent, failed, blocked, unknown] = await Promise.all([count('sent'), count('failed'), count('blocked'), count('unknown')])
  await payload.update({
    collection: 'broadcasts',
    id: broadcast.id,
    data: { sent, failed, blocked, unknown, ...extra },
    overrideAccess: true,
    depth: 0,
    context: { [BROADCAST_JOB]: true },
  })
}

/** Marks the recipient (before the message): false when another run already has this recipient. */
async function claim(payload: Payload, broadcastId: number, recipientId: number): Promise<number | null> {
  try {
    const row = await payload.create({
      collection: 'broadcast-deliveries',
      data: { broadcast: broadcastId, recipient: recipientId, status: 'sending' },
      overrideAccess: true,
      depth: 0,
    })
    return row.id
  } catch (error) {
    const existing = await payload.find({
      collection: 'broadcast-deliveries',
      where: { and: [{ broadcast: { equals: broadcastId } }, { recipient: { equals: recipientId } }] },
      limit: 1,
      depth: 0,
      overrideAccess: true,
    })
    if (existing.docs.length > 0) return null
    throw error
  }
}

async function settle(payload: Payload, rowId: number, status: Outcome, error?: string) {
  await payload.update({ collection: 'broadcast-deliveries', id: rowId, data: { status, error: error?.slice(0, 300) ?? null }, overrideAccess: true, depth: 0 })
}

/** A refusal that says the person is gone for this bot: blocked it, or deleted their Telegram account. */
export function isBlockedByUser(error: GrammyError): boolean {
  return error.error_code === 403 && /blocked by the user|user is deactivated|bot can't initiate/i.test(error.description)
}

async function sendOne(payload: Payload, broadcast: Broadcast, recipient: Recipient, log: Logger): Promise<void> {
  const rowId = await claim(payload, broadcast.id, recipient.id)
  if (rowId === null) return
  const { text, replyMarkup } = renderBroadcast(broadcast, recipient.language)
  try {
    await chatApi().sendMessage(recipient.telegramId, text, { parse_mode: 'HTML', reply_markup: replyMarkup, link_preview_options: { is_disabled: true } })
  } catch (error) {
    if (error instanceof GrammyError) {
      if (error.error_code === 429) {
        // Not sent, and Telegram wants a longer pause than the pacing waits out: retry the job later.
        await payload.delete({ collection: 'broadcast-deliveries', id: rowId, overrideAccess: true })
        throw new BroadcastPaused(`telegram asked to wait: ${error.description}`)
      }
      if (isBlockedByUser(error)) {
        await settle(payload, rowId, 'blocked', error.description)
        await payload.update({ collection: 'accounts', id: recipient.id, data: { botBlockedAt: new Date().toISOString() }, overrideAccess: true, depth: 0 })
        log.info({ accountId: recipient.id }, 'broadcast: the customer blocked the bot; marked')
        return
      }
      await settle(payload, rowId, 'failed', error.description)
      return
    }
    // No answer (network): it may have arrived. Never sent again; the run pauses for the outage.
    await settle(payload, rowId, 'unknown', error instanceof Error ? error.message : String(error))
    if (error instanceof HttpError) throw new BroadcastPaused(`telegram unreachable: ${error.message}`)
    throw error
  }
  await settle(payload, rowId, 'sent')
}

/**
 * Sends a broadcast whose status is `sending` to every recipient of its segment that has no
 * delivery row yet, paced by the Telegram client (src/telegram/outgoing.ts, shared by every
 * process), then sets `done` with the counts. Rows a crashed run left `sending` become `unknown`
 * first: the message may have gone out, so it is never sent twice.
 */
export async function runBroadcast(payload: Payload, broadcastId: number, { log, signal }: { log: Logger; signal?: AbortSignal }): Promise<void> {
  const broadcast = (await payload.findByID({ collection: 'broadcasts', id: broadcastId, depth: 0, overrideAccess: true, disableErrors: true })) as Broadcast | null
  if (!broadcast || broadcast.status !== 'sending') {
    log.info({ broadcastId, status: broadcast?.status }, 'broadcast not sending; nothing to do')
    return
  }
  await payload.update({
    collection: 'broadcast-deliveries',
    where: { and: [{ broadcast: { equals: broadcastId } }, { status: { equals: 'sending' } }] },
    data: { status: 'unknown', error: 'in flight when a worker stopped' },
    overrideAccess: true,
    depth: 0,
  })
  const where = segmentWhere(payload, broadcast, log)
  if (broadcast.recipients === null || broadcast.recipients === undefined) {
    await payload.update({
      collection: 'broadcasts',
      id: broadcastId,
      data: { recipients: await countSegment(payload, broadcast) },
      overrideAccess: true,
      depth: 0,
      context: { [BROADCAST_JOB]: true },
    })
  }
  let cursor = 0
  let countedAt = Date.now()
  for (;;) {
    const page = await payload.find({
      collection: 'accounts',
      where: { and: [where, { id: { greater_than: cursor } }] },
      sort: 'id',
      limit: PAGE,
      pagination: false,
      depth: 0,
      overrideAccess: true,
      select: { telegramId: true, language: true },
    })
    if (page.docs.length === 0) break
    cursor = page.docs.at(-1)!.id
    const done = await payload.find({
      collection: 'broadcast-deliveries',
      where: { and: [{ broadcast: { equals: broadcastId } }, { recipient: { in: page.docs.map((d) => d.id) } }] },
      limit: PAGE,
      pagination: false,
      depth: 0,
      overrideAccess: true,
      select: { recipient: true },
    })
    const skip = new Set(done.docs.map((d) => Number(typeof d.recipient === 'object' ? d.recipient?.id : d.recipient)))
    const queue = page.docs.filter((d) => !skip.has(d.id)) as Recipient[]
    // The first failure stops every lane from taking another recipient; what is in flight settles.
    let failure: unknown = null
    const lane = async () => {
      for (let next = queue.shift(); next && failure === null; next = queue.shift()) {
        if (signal?.aborted) failure = new BroadcastPaused('worker shutting down')
        else await sendOne(payload, broadcast, next, log).catch((error: unknown) => (failure ??= error))
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
    if (failure !== null) {
      await updateCounts(payload, broadcast)
      throw failure
    }
    if (Date.now() - countedAt > COUNTS_EVERY_MS) {
      await updateCounts(payload, broadcast)
      countedAt = Date.now()
    }
  }
  await updateCounts(payload, broadcast, { status: 'done', finishedAt: new Date().toISOString() })
  log.info({ broadcastId }, 'broadcast done')
}
