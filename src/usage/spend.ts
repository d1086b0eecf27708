import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { DEFAULT_PLAN, PLAN_LIMITS } from './plans'

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
  const limit = PLAN_LIMITS[account.plan ?? DEFAULT_PLAN].dailySpendUsd
  const spent = await spentToday(payload, accountId, account.timezone ?? 'UTC', now)
  if (spent >= limit) {
    throw new AppError('usage.daily_cap', 402, account.language, { spent: spent.toFixed(2), limit: limit.toFixed(2) })
  }
}
