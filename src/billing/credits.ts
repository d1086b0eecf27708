import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { queuedJobId } from '../jobs/addJob'
import { logger } from '../lib/logger'
import { creditsForCost, RESERVE_USD } from './config'
import { appendEntry, balanceOf, entryExists, inBillingTransaction, lockAccount, noCredits } from './ledger'
import { grantMonthlyPlanCredits } from './planCredits'
import { billingEnabled } from './providers'

/**
 * Credits for AI generations. With billing on, a generation (one job: a cluster, an article, a
 * post) holds credits for its whole run:
 *
 * - `reserveGeneration` before the first model call: a `spend` row of an estimate
 *   (RESERVE_USD of its kind, converted like any cost) under the account's lock; an account that
 *   cannot cover it is refused with `billing.no_credits` and no model is called. A retried job
 *   (a model outage, a worker that crashed mid-way) finds its open hold and reuses it: one hold
 *   per generation, however many attempts.
 * - `settleGeneration` after it succeeded: a `spend` row (key `<hold>:close`) bringing the hold to
 *   ceil(recorded cost of every ai-runs row of the job since the hold × BILLING_CREDITS_PER_USD ×
 *   BILLING_CREDIT_MARGIN): positive when the estimate was too high, negative for the rest when
 *   it was too low, never more than the balance holds (the rest is written in its reason).
 * - `refundGeneration` when it failed for good: a `refund` row (the same `<hold>:close` key)
 *   giving back everything the hold took. The key makes it happen once, even when the failure is
 *   handled twice or the job is retried afterwards.
 *
 * With billing off all three do nothing.
 */

export type GenerationKind = keyof typeof RESERVE_USD

/** An open hold: the reservation row's key and what it took. */
export type GenerationHold = { accountId: number; jobRef: string; key: string; reserved: number; since: Date }

const closeKey = (holdKey: string) => `${holdKey}:close`

/** The open hold of a job, if any (reserved and not closed). */
async function openHold(db: Parameters<typeof lockAccount>[0], accountId: number, jobRef: string) {
  const { rows } = await db.execute(sql`
    select r.idempotency_key as key, -r.credits as reserved, r.created_at as since
      from credit_ledger r
     where r.account_id = ${accountId} and r.job_ref = ${jobRef} and r.kind = 'spend' and r.idempotency_key like 'hold:%'
       and r.idempotency_key not like '%:close'
       and not exists (select 1 from credit_ledger c where c.idempotency_key = r.idempotency_key || ':close')
     order by r.id desc limit 1`)
  const row = rows[0] as { key: string; reserved: string; since: string | Date } | undefined
  return row ? { key: row.key, reserved: Number(row.reserved), since: new Date(row.since) } : null
}

/** Holds the generation's estimate (see the module comment); null when billing is off. */
export async function reserveGeneration(
  payload: Payload,
  input: { accountId: number; kind: GenerationKind; jobRef: string },
): Promise<GenerationHold | null> {
  if (!billingEnabled()) return null
  return inBillingTransaction(payload, async (tx) => {
    const { db } = tx
    await lockAccount(db, input.accountId)
    const open = await openHold(db, input.accountId, input.jobRef)
    if (open) return { accountId: input.accountId, jobRef: input.jobRef, ...open }
    // This month's credits of a plan nobody pays for (the free plan), before the balance is read.
    await grantMonthlyPlanCredits(payload, input.accountId, { tx })
    const needed = Math.max(1, creditsForCost(RESERVE_USD[input.kind]))
    const balance = await balanceOf(payload, input.accountId, db)
    if (balance < needed) throw await noCredits(payload, input.accountId, balance, needed, null, tx)
    const { rows } = await db.execute(sql`select count(*)::int as n from credit_ledger where job_ref = ${input.jobRef} and idempotency_key like 'hold:%' and idempotency_key not like '%:close'`)
    const key = `hold:${input.jobRef}#${Number(rows[0]?.n ?? 0) + 1}`
    await appendEntry(db, { accountId: input.accountId, kind: 'spend', credits: -needed, reason: `${input.kind} generation: reserved`, jobRef: input.jobRef, idempotencyKey: key }, balance)
    return { accountId: input.accountId, jobRef: input.jobRef, key, reserved: needed, since: new Date() }
  })
}

/** What the job's model calls recorded since the hold was taken, in USD. */
async function recordedCost(db: Parameters<typeof lockAccount>[0], hold: GenerationHold): Promise<number> {
  const { rows } = await db.execute(sql`
    select coalesce(sum(cost_usd), 0) as cost from ai_runs
     where account_id = ${hold.accountId} and (job_key = ${hold.jobRef} or job_key like ${`${hold.jobRef}#%`})
       and created_at >= ${hold.since.toISOString()}`)
  return Number(rows[0]?.cost ?? 0)
}

/** Settles a succeeded generation's hold to its recorded cost (once). */
export async function settleGeneration(payload: Payload, hold: GenerationHold | null): Promise<{ charged: number } | null> {
  if (!hold) return null
  return inBillingTransaction(payload, async ({ db }) => {
    await lockAccount(db, hold.accountId)
    // AF1: closed already (settled before, or given back by the sweep): a second close with other
    // credits would be a key clash in appendEntry, not a silent skip.
    if (await entryExists(db, closeKey(hold.key))) return { charged: 0 }
    const cost = await recordedCost(db, hold)
    const actual = creditsForCost(cost)
    const balance = await balanceOf(payload, hold.accountId, db)
    // Give back what the estimate held too much, or take the rest (as far as the balance goes).
    const change = hold.reserved - actual
    const credits = change >= 0 ? change : -Math.min(-change, Math.max(0, balance))
    const short = change < 0 ? -change + credits : 0
    const reason = `generation settled: $${cost.toFixed(6)} = ${actual} credits (reserved ${hold.reserved})${short > 0 ? `; ${short} credits not covered by the balance` : ''}`
    const result = await appendEntry(db, { accountId: hold.accountId, kind: 'spend', credits, reason, jobRef: hold.jobRef, idempotencyKey: closeKey(hold.key) }, balance)
    if (short > 0) logger().warn({ accountId: hold.accountId, jobRef: hold.jobRef, short }, 'a generation cost more credits than the balance held')
    return { charged: result.applied ? hold.reserved - credits : 0 }
  })
}

/**
 * Gives back everything a failed generation's open hold took (once; nothing when billing is off
 * or no hold is open, e.g. it was refused before reserving).
 */
export async function refundGeneration(payload: Payload, input: { accountId: number; jobRef: string }): Promise<{ refunded: number } | null> {
  if (!billingEnabled()) return null
  return inBillingTransaction(payload, async ({ db }) => {
    await lockAccount(db, input.accountId)
    const open = await openHold(db, input.accountId, input.jobRef)
    if (!open) return { refunded: 0 }
    const balance = await balanceOf(payload, input.accountId, db)
    const result = await appendEntry(
      db,
      { accountId: input.accountId, kind: 'refund', credits: open.reserved, reason: 'generation failed: reserved credits given back', jobRef: input.jobRef, idempotencyKey: closeKey(open.key) },
      balance,
    )
    return { refunded: result.applied ? open.reserved : 0 }
  })
}

/** A hold this old whose job is neither waiting nor running belongs to a generation that ended. */
export const ABANDONED_HOLD_MS = 30 * 60_000

/**
 * The backstop for a generation whose end was never handled (the worker died in its last attempt,
 * or the refund or settlement itself failed): an open hold older than ABANDONED_HOLD_MS whose job
 * (by its key) is no longer waiting or running is settled to its recorded cost when a model call
 * of the job succeeded (BF2b), and otherwise gets everything back, once (the same close key as
 * `refundGeneration`). Run by the `billing.sweep` task. Returns how many holds were closed.
 */
export async function refundAbandonedHolds(payload: Payload, now = new Date()): Promise<number> {
  if (!billingEnabled()) return 0
  const { rows } = await (payload.db.drizzle as unknown as Parameters<typeof lockAccount>[0]).execute(sql`
    select distinct r.account_id, r.job_ref from credit_ledger r
     where r.kind = 'spend' and r.idempotency_key like 'hold:%' and r.idempotency_key not like '%:close'
       and r.account_id is not null and r.created_at < ${new Date(now.getTime() - ABANDONED_HOLD_MS).toISOString()}
       and not exists (select 1 from credit_ledger c where c.idempotency_key = r.idempotency_key || ':close')
     limit 500`)
  let closed = 0
  for (const row of rows as { account_id: number; job_ref: string }[]) {
    if (await queuedJobId(row.job_ref)) continue
    // BF2b: a generation whose model calls succeeded (its settlement failed, or the worker died
    // after the answer) is charged what it recorded, not given away.
    const settled = await settleIfSucceeded(payload, Number(row.account_id), row.job_ref)
    if (settled) {
      closed += 1
      logger().warn({ accountId: row.account_id, jobRef: row.job_ref, charged: settled.charged }, 'an unsettled generation hold was settled to its recorded cost')
      continue
    }
    const result = await refundGeneration(payload, { accountId: Number(row.account_id), jobRef: row.job_ref })
    if (result?.refunded) {
      closed += 1
      logger().warn({ accountId: row.account_id, jobRef: row.job_ref, credits: result.refunded }, 'an abandoned generation hold was given back')
    }
  }
  return closed
}

/** BF2b: settles the job's open hold when a model call of the job succeeded since it was taken; null otherwise. */
async function settleIfSucceeded(payload: Payload, accountId: number, jobRef: string): Promise<{ charged: number } | null> {
  const db = payload.db.drizzle as unknown as Parameters<typeof lockAccount>[0]
  const open = await openHold(db, accountId, jobRef)
  if (!open) return null
  const { rows } = await db.execute(sql`
    select 1 from ai_runs
     where account_id = ${accountId} and (job_key = ${jobRef} or job_key like ${`${jobRef}#%`})
       and outcome = 'ok' and created_at >= ${open.since.toISOString()}
     limit 1`)
  if (rows.length === 0) return null
  return settleGeneration(payload, { accountId, jobRef, ...open })
}

/**
 * For the faces, when a customer orders a generation: refuses now (`billing.no_credits`, 402, in
 * their language; the bot adds the upgrade buttons) when the balance cannot cover the estimate
 * the job would hold, instead of a job that fails at once. Nothing is held here; the job holds.
 */
export async function assertCanAfford(payload: Payload, account: { id: number; language?: string | null }, kind: GenerationKind): Promise<void> {
  if (!billingEnabled()) return
  await grantMonthlyPlanCredits(payload, account.id)
  const needed = Math.max(1, creditsForCost(RESERVE_USD[kind]))
  const balance = await balanceOf(payload, account.id)
  if (balance < needed) throw await noCredits(payload, account.id, balance, needed, account.language ?? null)
}
