import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import type { Logger } from 'pino'

import { listJobs } from '../jobs/inspect'
import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { type AlertKind, type AlertSender, type Finding, reconcile, type Reconciled } from './alerts'
import { backupState } from './backup'

/**
 * What each alert looks at. Every check returns what is wrong now; `reconcile` turns that into
 * one message when an incident starts and one when it clears. docs/runbook.md says what each
 * alert means and what to do.
 */

const RUNBOOK = 'Runbook: docs/runbook.md'

type FailedAttempt = { platform: string; publication: number; connection: number; status: string }

/**
 * Publish attempts that went wrong within the window, from the publications' history: a retry
 * after a platform error (`publishing` followed by `queued`), a failure, an unknown outcome.
 */
async function failedAttempts(payload: Payload, from: Date, to: Date): Promise<FailedAttempt[]> {
  const result = await payload.db.drizzle.execute(sql`
    with recent as (
      select distinct _parent_id from publications_history where at > ${from.toISOString()} and at <= ${to.toISOString()}
    ), attempts as (
      select h._parent_id, h.status::text as status, h.at,
             lag(h.status::text) over (partition by h._parent_id order by h._order) as before
        from publications_history h join recent r on r._parent_id = h._parent_id
    )
    select c.platform::text as platform, a._parent_id as publication, p.connection_id as connection, a.status
      from attempts a
      join publications p on p.id = a._parent_id
      join connections c on c.id = p.connection_id
     where a.at > ${from.toISOString()} and a.at <= ${to.toISOString()}
       and (a.status in ('failed', 'unconfirmed') or (a.status = 'queued' and a.before = 'publishing'))`)
  return (result.rows as Record<string, unknown>[]).map((r) => ({
    platform: String(r.platform),
    publication: Number(r.publication),
    connection: Number(r.connection),
    status: String(r.status),
  }))
}

const idList = (ids: Iterable<number>, max = 15) => {
  const sorted = [...new Set(ids)].sort((a, b) => a - b)
  return sorted.length > max ? `${sorted.slice(0, max).join(', ')} and ${sorted.length - max} more` : sorted.join(', ')
}

/** Failed publications over the threshold, one platform failing for many connections, jobs failing for good. */
export async function failureFindings(payload: Payload, now = Date.now()): Promise<Finding[]> {
  const settings = env()
  const windowMs = settings.ALERT_WINDOW_MINUTES * 60_000
  const from = new Date(now - windowMs)
  const attempts = await failedAttempts(payload, from, new Date(now))
  const findings: Finding[] = []

  const failed = new Set(attempts.filter((a) => a.status === 'failed').map((a) => a.publication))
  if (failed.size >= settings.ALERT_FAILED_PUBLICATIONS) {
    findings.push({
      kind: 'publications_failing',
      subject: 'all',
      title: `${failed.size} publications failed in the last ${settings.ALERT_WINDOW_MINUTES} min (threshold ${settings.ALERT_FAILED_PUBLICATIONS}).`,
      details: `Publication ids: ${idList(failed)}.\nTheir reasons are in the admin (Publishing › Publications, lastError). ${RUNBOOK}, "Publications failing".`,
    })
  }

  const byPlatform = new Map<string, Set<number>>()
  for (const a of attempts) byPlatform.set(a.platform, (byPlatform.get(a.platform) ?? new Set()).add(a.connection))
  for (const [platform, connections] of byPlatform) {
    if (connections.size < settings.ALERT_PLATFORM_CONNECTIONS) continue
    findings.push({
      kind: 'platform_failing',
      subject: platform,
      title: `${platform}: publishing failed for ${connections.size} connections in the last ${settings.ALERT_WINDOW_MINUTES} min (threshold ${settings.ALERT_PLATFORM_CONNECTIONS}).`,
      details: `Connection ids: ${idList(connections)}.\nMany customers at once usually means the platform (or our access to it) is down, not their settings. ${RUNBOOK}, "A platform failing".`,
    })
  }

  const jobs = (await listJobs(payload, 'failed', 500)).filter((j) => new Date(j.updatedAt).getTime() > from.getTime())
  if (jobs.length >= settings.ALERT_FAILED_JOBS) {
    const byTask = new Map<string, number>()
    for (const j of jobs) byTask.set(j.task, (byTask.get(j.task) ?? 0) + 1)
    findings.push({
      kind: 'jobs_failing',
      subject: 'all',
      title: `${jobs.length} jobs failed for good in the last ${settings.ALERT_WINDOW_MINUTES} min (threshold ${settings.ALERT_FAILED_JOBS}).`,
      details: `${[...byTask].map(([task, n]) => `${task} × ${n}`).join(', ')}.\nErrors: /admin/jobs (failed). ${RUNBOOK}, "Jobs failing".`,
    })
  }
  return findings
}

/** The installation's AI spend since UTC midnight over AI_DAILY_BUDGET_USD. */
export async function spendFindings(payload: Payload, now = Date.now()): Promise<Finding[]> {
  const budget = env().AI_DAILY_BUDGET_USD
  if (budget === undefined) return []
  const day = new Date(now).toISOString().slice(0, 10)
  const result = await payload.db.drizzle.execute(sql`
    select coalesce(sum(cost_usd), 0)::float8 as spent, count(*)::int as calls
      from ai_runs where created_at >= ${`${day}T00:00:00.000Z`} and created_at <= ${new Date(now).toISOString()}`)
  const row = result.rows[0] as { spent: number; calls: number }
  if (Number(row.spent) <= budget) return []
  return [
    {
      kind: 'ai_budget',
      subject: 'daily',
      title: `AI spend today (${day} UTC) is $${Number(row.spent).toFixed(2)}, over the budget of $${budget.toFixed(2)} (AI_DAILY_BUDGET_USD).`,
      details: `${row.calls} model calls so far today. Who spends it: admin › AI › Ai Runs (by account). ${RUNBOOK}, "AI spend over budget".`,
    },
  ]
}

/** The last backup failed, or none succeeded for longer than the interval allows. */
export async function backupFindings(payload: Payload, now = Date.now()): Promise<Finding[]> {
  const hours = env().BACKUP_INTERVAL_HOURS
  if (hours === 0) return []
  const { lastFinished, lastSucceeded } = await backupState(payload)
  const findings: Finding[] = []
  if (lastFinished?.status === 'failed') {
    findings.push({
      kind: 'backup_failed',
      subject: 'database',
      title: `The backup of ${new Date(lastFinished.startedAt).toISOString().slice(0, 16)} UTC failed.`,
      details: `${(lastFinished.error ?? '').slice(0, 1_500)}\nBackup record id ${lastFinished.id} (admin › Operations › Backups). ${RUNBOOK}, "Backup failed".`,
    })
  }
  // An hour's slack over the interval: the hourly tick starts a due backup within the hour.
  const allowedMs = (hours + 1) * 3_600_000
  const age = lastSucceeded ? now - new Date(lastSucceeded.finishedAt ?? lastSucceeded.startedAt).getTime() : null
  if (age === null || age > allowedMs) {
    findings.push({
      kind: 'backup_missing',
      subject: 'database',
      title: age === null ? `No backup has succeeded yet (expected every ${hours} h).` : `No backup has succeeded for ${Math.floor(age / 3_600_000)} h (expected every ${hours} h).`,
      details: `Is the worker running, and does BACKUP_DIR have room? ${RUNBOOK}, "Backup missing".`,
      // A new installation has had no chance yet: only after a whole interval without one.
      ...(age === null ? { forMs: allowedMs } : {}),
    })
  }
  return findings
}

type Check = { kinds: readonly AlertKind[]; find: () => Promise<Finding[]> }

/**
 * What `alerts.check` runs every minute in the worker: everything but the worker's own heartbeat
 * (the web app's watchdog has that). A check that throws is logged and leaves its incidents as
 * they are.
 */
export async function runAlertChecks(
  payload: Payload,
  { now = Date.now(), send, log = logger().child({ area: 'alerts' }) }: { now?: number; send?: AlertSender; log?: Logger } = {},
): Promise<Reconciled> {
  const checks: Check[] = [
    { kinds: ['publications_failing', 'platform_failing', 'jobs_failing'], find: () => failureFindings(payload, now) },
    { kinds: ['ai_budget'], find: () => spendFindings(payload, now) },
    { kinds: ['backup_failed', 'backup_missing'], find: () => backupFindings(payload, now) },
  ]
  const total: Reconciled = { opened: [], resolved: [] }
  for (const check of checks) {
    let findings: Finding[]
    try {
      findings = await check.find()
    } catch (error) {
      log.error({ kinds: check.kinds, err: error instanceof Error ? error.message : String(error) }, 'alert check failed; its incidents left as they are')
      continue
    }
    const done = await reconcile(check.kinds, findings, { now, log, ...(send ? { send } : {}) })
    total.opened.push(...done.opened)
    total.resolved.push(...done.resolved)
  }
  return total
}

/** After a backup: its outcome told now rather than at the next minute's check. */
export async function checkBackupAlerts(payload: Payload, options: { send?: AlertSender } = {}): Promise<Reconciled> {
  return reconcile(['backup_failed', 'backup_missing'], await backupFindings(payload), options)
}
