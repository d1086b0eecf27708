import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { logger } from '../lib/logger'
import { defaultPlanCode, planCatalogueCredits } from './config'
import { appendEntry, balanceOf, entryExists, inBillingTransaction, lockAccount, type BillingTx } from './ledger'
import { billingEnabled } from './providers'

/**
 * Monthly credits of a plan nobody pays for: the default (free) plan, or a plan staff set on an
 * account by hand. A paid plan's credits come with each paid period (`settlePayment`); an account
 * with no paid period running gets its plan's `monthlyCredits` once per calendar month in its own
 * time zone, and what is left of them expires when that month ends (`expireMonthlyPlanCredits`, run
 * by the hourly `billing.sweep` through `expireEndedPeriods`), like a paid period's credits.
 *
 * Granted lazily, when first needed: before a generation's credit check (`assertCanAfford`,
 * `reserveGeneration`) and when `/plan` shows the balance. Race-free and once: the grant runs
 * under the account's ledger lock, and its key `plan-month:<account>:<YYYY-MM>` is unique in the
 * ledger, so two generations ordered at once grant one month once.
 */

const KEY_PREFIX = 'plan-month:'

type Parts = { year: number; month: number; day: number; hour: number; minute: number; second: number }

function localParts(timeZone: string, at: Date): Parts {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  ) as Parts
  return parts
}

/** `YYYY-MM` of `at` in the zone. */
export function localMonth(timeZone: string, at: Date): string {
  const p = localParts(timeZone, at)
  return `${p.year}-${String(p.month).padStart(2, '0')}`
}

const zoneOf = (value: string | null | undefined) => {
  if (!value) return 'UTC'
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value })
    return value
  } catch {
    return 'UTC'
  }
}

/** Whether the account has a paid plan period running (any provider, any plan). */
async function hasPaidPeriod(t: BillingTx, accountId: number, now: Date): Promise<boolean> {
  const { totalDocs } = await t.req.payload.count({
    collection: 'subscriptions',
    where: { and: [{ account: { equals: accountId } }, { status: { in: ['active', 'past_due'] } }, { currentPeriodEnd: { greater_than: now.toISOString() } }] },
    req: t.req,
  })
  return totalDocs > 0
}

/**
 * BF2b: how long after a paid period ends the account may still show the paid plan: the hourly
 * `billing.sweep` moves it back (recomputeAccountPlan) within this window. A renewal may also
 * still arrive in it.
 */
const SWEEP_WINDOW_MS = 2 * 3_600_000

/**
 * Whether the account's plan is a paid plan whose period ended moments ago and that the sweep has
 * not moved back yet: that plan's monthly credits are not the account's to take (they would be a
 * free month before the renewal adds its own).
 */
async function paidPlanJustEnded(t: BillingTx, accountId: number, plan: string, now: Date): Promise<boolean> {
  const { totalDocs } = await t.req.payload.count({
    collection: 'subscriptions',
    where: {
      and: [
        { account: { equals: accountId } },
        { planCode: { equals: plan } },
        { currentPeriodEnd: { less_than_equal: now.toISOString() } },
        { currentPeriodEnd: { greater_than: new Date(now.getTime() - SWEEP_WINDOW_MS).toISOString() } },
      ],
    },
    req: t.req,
  })
  return totalDocs > 0
}

export type MonthlyGrant = { granted: number; month: string | null }

/**
 * Grants this month's credits of the account's plan when it has no paid period running and has
 * not had them this month (see the module comment). Nothing with billing off. Pass `tx` from
 * inside a billing transaction (the account's lock is taken either way).
 */
export async function grantMonthlyPlanCredits(payload: Payload, accountId: number, options: { tx?: BillingTx; now?: Date } = {}): Promise<MonthlyGrant> {
  const none: MonthlyGrant = { granted: 0, month: null }
  if (!billingEnabled()) return none
  const now = options.now ?? new Date()
  const work = async (t: BillingTx): Promise<MonthlyGrant> => {
    await lockAccount(t.db, accountId)
    const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, disableErrors: true, req: t.req })
    if (!account) return none
    const timeZone = zoneOf(account.timezone)
    const month = localMonth(timeZone, now)
    const key = `${KEY_PREFIX}${accountId}:${month}`
    if (await entryExists(t.db, key)) return { granted: 0, month }
    if (await hasPaidPeriod(t, accountId, now)) return { granted: 0, month }
    if (account.plan && (await paidPlanJustEnded(t, accountId, String(account.plan), now))) {
      logger().info({ accountId, plan: account.plan }, 'paid period just ended, the plan not recomputed yet: no monthly grant of the paid plan')
      return { granted: 0, month }
    }
    const own = account.plan ? await planCatalogueCredits(payload, String(account.plan), t.req) : null
    const plan = own === null ? await defaultPlanCode(payload, t.req) : String(account.plan)
    const credits = own ?? (await planCatalogueCredits(payload, plan, t.req)) ?? 0
    if (credits <= 0) return { granted: 0, month }
    const balance = await balanceOf(payload, accountId, t.db)
    const result = await appendEntry(
      t.db,
      { accountId, kind: 'grant', credits, reason: `monthly credits of plan ${plan} for ${month} (${timeZone}); unspent ones expire at the month's end`, idempotencyKey: key },
      balance,
    )
    if (result.applied) logger().info({ accountId, plan, month, credits }, 'monthly plan credits granted')
    return { granted: result.applied ? credits : 0, month }
  }
  return options.tx ? work(options.tx) : inBillingTransaction(payload, work)
}

/**
 * For the sweep: each month's grant whose local month has ended gets an `expiry` row (key
 * `expiry:<grant key>`) taking back what it granted minus what generations spent during that
 * month, at most the balance (pack credits never expire). Grants with nothing left to take are
 * not touched (nothing to write). Returns how many grants expired.
 */
export async function expireMonthlyPlanCredits(payload: Payload, now = new Date()): Promise<number> {
  const drizzle = payload.db.drizzle as unknown as Parameters<typeof lockAccount>[0]
  // The end of each grant's month in the account's zone (PostgreSQL knows the IANA zones), with
  // something granted left unspent by then and a balance to take it from; grants of the last
  // ~2 months only (older ones were expired or had nothing left).
  const { rows } = await drizzle.execute(sql`
    select * from (
      select g.id, g.account_id, g.idempotency_key, g.credits,
             ((to_date(split_part(g.idempotency_key, ':', 3) || '-01', 'YYYY-MM-DD') + interval '1 month')::timestamp
               at time zone coalesce(nullif(a.timezone, ''), 'UTC')) as month_end,
             g.created_at
        from credit_ledger g join accounts a on a.id = g.account_id
       where g.kind = 'grant' and g.idempotency_key like ${`${KEY_PREFIX}%`}
         and g.created_at > ${now.toISOString()}::timestamptz - interval '70 days'
         and not exists (select 1 from credit_ledger e where e.idempotency_key = 'expiry:' || g.idempotency_key)
    ) m
     where m.month_end <= ${now.toISOString()}::timestamptz
       and m.credits > coalesce((select -sum(s.credits) from credit_ledger s
                                  where s.account_id = m.account_id and s.job_ref is not null and s.created_at >= m.created_at and s.created_at < m.month_end), 0)
       and (select coalesce(sum(b.credits), 0) from credit_ledger b where b.account_id = m.account_id) > 0
     order by m.id limit 500`)
  let expired = 0
  for (const row of rows as { id: number; account_id: number; idempotency_key: string; credits: number; created_at: string | Date; month_end: string | Date }[]) {
    const month = row.idempotency_key.split(':')[2]!
    const end = new Date(row.month_end).toISOString()
    try {
      const applied = await inBillingTransaction(payload, async (t) => {
        const accountId = Number(row.account_id)
        await lockAccount(t.db, accountId)
        const since = new Date(row.created_at).toISOString()
        const spent = await t.db.execute(sql`
          select coalesce(-sum(credits), 0)::bigint as spent from credit_ledger
           where account_id = ${accountId} and job_ref is not null and created_at >= ${since} and created_at < ${end}`)
        const balance = await balanceOf(payload, accountId, t.db)
        const left = Math.min(balance, Math.max(0, Number(row.credits) - Number(spent.rows[0]?.spent ?? 0)))
        if (left <= 0) return false
        const result = await appendEntry(
          t.db,
          { accountId, kind: 'expiry', credits: -left, reason: `monthly plan credits of ${month}, not spent by the month's end`, idempotencyKey: `expiry:${row.idempotency_key}` },
          balance,
        )
        return result.applied
      })
      if (applied) expired += 1
    } catch (error) {
      logger().error({ grantId: row.id, err: (error as Error).message }, 'could not expire the monthly credits of a plan')
    }
  }
  return expired
}
