import type { Logger } from 'pino'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { databaseScope, redis } from '../lib/redis'
import { takeToken } from '../lib/tokenBucket'
import { createApi } from '../telegram/client'

/**
 * Alerts to the staff chat, one message per incident and one when it clears. A check reports what
 * is wrong now as findings (kind + subject, e.g. `platform_failing` + `vk`); `reconcile` compares
 * them with the incidents open in Redis: a new one is opened with HSETNX and announced, a known
 * one stays quiet, an open one no longer found is closed with HDEL and its resolution announced.
 * Both steps are single Redis commands, so however many processes run the same check at once
 * (workers, web watchdogs), exactly one of them sends each message. Messages are paced through
 * the bot's Telegram client and capped per hour (ALERT_MAX_PER_HOUR); what the cap holds back is
 * counted and mentioned in the next message. Texts are for staff, in English, with ids only.
 */

export const ALERT_KINDS = [
  'worker_down',
  'jobs_failing',
  'publications_failing',
  'platform_failing',
  'ai_budget',
  'backup_failed',
  'backup_missing',
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

export type Finding = {
  kind: AlertKind
  /** What the incident is about within its kind (a platform, `all`): one incident per kind and subject. */
  subject: string
  /** One line: what is wrong. */
  title: string
  /** Figures and ids, then what to do (the runbook's section). */
  details?: string
  /** Open only once the finding has been seen continuously this long (a restart is not an incident). */
  forMs?: number
}

type Incident = { kind: AlertKind; subject: string; title: string; openedAt: number; notified: boolean }

export type AlertSender = (text: string) => Promise<void>

/**
 * Per installation (database) and staff chat: what is open is what that chat has been told, so
 * pointing STAFF_ALERT_CHAT_ID at a new chat starts it afresh.
 */
const keys = () => {
  const base = `pf:${databaseScope()}:alerts:${env().STAFF_ALERT_CHAT_ID ?? 'none'}:`
  return { open: `${base}open`, pending: `${base}pending`, rate: `${base}rate`, held: `${base}held` }
}

const idOf = (f: { kind: string; subject: string }) => `${f.kind}:${f.subject}`

/** Alerts are on when the bot can send and there is a staff chat to send to. */
export function alertsConfigured(): boolean {
  const { STAFF_ALERT_CHAT_ID, TELEGRAM_BOT_TOKEN } = env()
  return Boolean(STAFF_ALERT_CHAT_ID && TELEGRAM_BOT_TOKEN)
}

/** Sends to the staff chat through the bot's paced client (its per-group budget applies). */
export function staffSender(): AlertSender {
  return async (text) => {
    const { STAFF_ALERT_CHAT_ID, TELEGRAM_BOT_TOKEN } = env()
    if (!STAFF_ALERT_CHAT_ID || !TELEGRAM_BOT_TOKEN) throw new Error('alerts are not configured (STAFF_ALERT_CHAT_ID, TELEGRAM_BOT_TOKEN)')
    await createApi(TELEGRAM_BOT_TOKEN).sendMessage(STAFF_ALERT_CHAT_ID, text, { link_preview_options: { is_disabled: true } })
  }
}

const utcTime = (ms: number) => new Date(ms).toISOString().slice(11, 16)
const installation = () => new URL(env().SERVER_URL).host

export function openedText(f: Finding, openedAt: number): string {
  return [`🔴 ALERT · Postforge ${installation()}`, f.title, ...(f.details ? [f.details] : []), '', `Since ${utcTime(openedAt)} UTC · ${idOf(f)}`].join('\n')
}

/** `12 min`, `3 h 5 min`. */
const duration = (ms: number) => {
  const minutes = Math.max(1, Math.round(ms / 60_000))
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

export function resolvedText(incident: Incident, now: number): string {
  const sameDay = new Date(incident.openedAt).toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10)
  const from = sameDay ? utcTime(incident.openedAt) : new Date(incident.openedAt).toISOString().slice(0, 16).replace('T', ' ')
  const to = sameDay ? utcTime(now) : new Date(now).toISOString().slice(0, 16).replace('T', ' ')
  return [`✅ RESOLVED · Postforge ${installation()}`, `Cleared: ${incident.title}`, '', `Lasted ${duration(now - incident.openedAt)} (${from}–${to} UTC) · ${idOf(incident)}`].join('\n')
}

/** Takes a slot of the hourly cap; a held-back message is counted for the next one that goes. */
async function deliver(text: string, send: AlertSender): Promise<boolean> {
  const { ALERT_MAX_PER_HOUR } = env()
  const k = keys()
  const slot = await takeToken(redis(), k.rate, { capacity: ALERT_MAX_PER_HOUR, perSecond: ALERT_MAX_PER_HOUR / 3600 })
  if (!slot.allowed) {
    await redis().incr(k.held)
    return false
  }
  const held = Number(await redis().getdel(k.held)) || 0
  const note = held > 0 ? `\n\n(${held} more alert message(s) were held back by ALERT_MAX_PER_HOUR; the worker's and web app's logs have them.)` : ''
  try {
    await send(text + note)
  } catch (error) {
    if (held > 0) await redis().incrby(k.held, held)
    throw error
  }
  return true
}

const SET_IF_OPEN = `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 0`

export type Reconciled = { opened: string[]; resolved: string[] }

/**
 * Brings the open incidents of `kinds` in line with `findings` (what the check of those kinds sees
 * now). Only the kinds given are touched: a check that could not run must not pass, or its open
 * incidents would read as resolved.
 */
export async function reconcile(
  kinds: readonly AlertKind[],
  findings: Finding[],
  { send = staffSender(), now = Date.now(), log = logger().child({ area: 'alerts' }) }: { send?: AlertSender; now?: number; log?: Logger } = {},
): Promise<Reconciled> {
  const k = keys()
  const client = redis()
  const result: Reconciled = { opened: [], resolved: [] }
  const found = new Set(findings.map(idOf))

  for (const finding of findings) {
    const id = idOf(finding)
    if (await client.hexists(k.open, id)) continue
    if (finding.forMs && finding.forMs > 0) {
      await client.hsetnx(k.pending, id, String(now))
      const since = Number(await client.hget(k.pending, id))
      if (now - since < finding.forMs) continue
    }
    const incident: Incident = { kind: finding.kind, subject: finding.subject, title: finding.title, openedAt: now, notified: false }
    if ((await client.hsetnx(k.open, id, JSON.stringify(incident))) === 0) continue
    await client.hdel(k.pending, id)
    log.warn({ alert: id, title: finding.title }, 'alert opened')
    try {
      incident.notified = await deliver(openedText(finding, now), send)
      // Marked as told only if no one resolved it meanwhile (a plain HSET would bring it back).
      if (incident.notified) await client.eval(SET_IF_OPEN, 1, k.open, id, JSON.stringify(incident))
      else log.warn({ alert: id }, 'alert message held back by ALERT_MAX_PER_HOUR')
      result.opened.push(id)
    } catch (error) {
      // Not sent: closed again so the next check opens and sends it (Telegram away, a bad chat id).
      await client.hdel(k.open, id)
      log.error({ alert: id, err: error instanceof Error ? error.message : String(error) }, 'alert could not be sent to the staff chat; retried on the next check')
    }
  }

  const ofKinds = (id: string) => kinds.some((kind) => id.startsWith(`${kind}:`))
  const pending = await client.hkeys(k.pending)
  const stale = pending.filter((id) => ofKinds(id) && !found.has(id))
  if (stale.length > 0) await client.hdel(k.pending, ...stale)

  const open = await client.hgetall(k.open)
  for (const [id, raw] of Object.entries(open)) {
    if (!ofKinds(id) || found.has(id)) continue
    if ((await client.hdel(k.open, id)) === 0) continue
    const incident = JSON.parse(raw) as Incident
    log.info({ alert: id }, 'alert resolved')
    result.resolved.push(id)
    if (!incident.notified) continue
    try {
      if (!(await deliver(resolvedText(incident, now), send))) log.warn({ alert: id }, 'resolution message held back by ALERT_MAX_PER_HOUR')
    } catch (error) {
      log.error({ alert: id, err: error instanceof Error ? error.message : String(error) }, 'resolution could not be sent to the staff chat')
    }
  }
  return result
}

/** The incidents open now (the admin or a test reads them). */
export async function openIncidents(): Promise<Incident[]> {
  return Object.values(await redis().hgetall(keys().open)).map((raw) => JSON.parse(raw) as Incident)
}

/** Forgets every incident, pending finding and the hourly count (tests; an operator's reset). */
export async function clearAlerts() {
  const k = keys()
  await redis().del(k.open, k.pending, k.rate, `${k.rate}:notice`, k.held)
}
