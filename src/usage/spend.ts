import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { t } from '../i18n'
import { effectivePlan, planName } from './limits'

/** Midnight of the current day in the account's time zone, as a UTC instant. */
export function startOfLocalDay(timeZone: string, now = new Date()): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  )
  const localAsUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second)
  const offset = localAsUtc - Math.floor(now.getTime() / 1000) * 1000
  return new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day) - offset)
}

export async function spentToday(payload: Payload, accountId: number, timeZone: string, now = new Date()): Promise<number> {
  const since = startOfLocalDay(timeZone, now)
  const result = await payload.db.drizzle.execute(
    sql`select coalesce(sum(cost_usd), 0) as spent from ai_runs where account_id = ${accountId} and created_at >= ${since.toISOString()}`,
  )
  return Number((result.rows[0] as { spent: string | number }).spent)
}

/**
 * Called before any model call of a job: an account over its plan's daily spend stops here,
 * with a message it can read, and no model is called.
 */
export async function assertWithinDailySpend(payload: Payload, accountId: number, now = new Date()): Promise<void> {
  const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, overrideAccess: true })
  // The plan as stored now (src/usage/limits.ts): a limit staff just changed applies to this job.
  const plan = await effectivePlan(payload, account)
  const limit = plan.limits.dailySpendUsd
  const timeZone = account.timezone ?? 'UTC'
  const spent = await spentToday(payload, accountId, timeZone, now)
  if (spent >= limit) {
    // When it refills and what the customer can do, not only that it is used up.
    const refills = t(account.language, 'usage.refills', refillParts(timeZone, now))
    throw new AppError('usage.daily_cap', 402, account.language, { spent: spent.toFixed(2), limit: limit.toFixed(2), plan: planName(plan, account.language), refills })
  }
}

/** The customer's next midnight and the time left until it, for `usage.refills`. */
export function refillParts(timeZone: string, now = new Date()): { zone: string; hours: number; minutes: number } {
  const next = nextLocalMidnight(timeZone, now)
  const minutesLeft = Math.max(1, Math.ceil((next.getTime() - now.getTime()) / 60_000))
  return { zone: timeZone, hours: Math.floor(minutesLeft / 60), minutes: minutesLeft % 60 }
}

/** The customer's next midnight (the start of tomorrow in their zone), as a UTC instant. */
export function nextLocalMidnight(timeZone: string, now = new Date()): Date {
  const today = startOfLocalDay(timeZone, now)
  // 26 hours after today's midnight is always within tomorrow, whatever DST does.
  return startOfLocalDay(timeZone, new Date(today.getTime() + 26 * 3600_000))
}
