import { sql } from '@payloadcms/db-postgres'
import type { Endpoint, Payload, PayloadRequest } from 'payload'
import { z } from 'zod'

import { isStaff } from '../access/actors'
import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import { logger } from '../lib/logger'
import { webhookStats, type WebhookStats } from '../lib/telemetry/webhookStats'

/**
 * The admin home's figures, read from the database (and the webhook rollup the processes keep):
 * one function, `dashboardData`, behind both the dashboard's server component and the staff-only
 * `GET /api/ops/dashboard?days=30`. Days are UTC calendar days; the last one is today (so far).
 */

export const PERIODS = [7, 30, 90] as const
export type Period = (typeof PERIODS)[number]
const periodSchema = z.coerce.number().pipe(z.union([z.literal(7), z.literal(30), z.literal(90)]))
/** The admin page's period: anything else shows the default 30 days (the links only offer 7/30/90). */
export const periodOf = (value: unknown): Period => periodSchema.catch(30).parse(value)
/** The API's period: absent is 30 days; anything but 7, 30 or 90 is refused, not silently replaced. */
export const strictPeriodOf = (value: string | null): Period | null => {
  if (value === null || value === '') return 30
  if (!/^\d+$/.test(value)) return null
  const parsed = periodSchema.safeParse(value)
  return parsed.success ? parsed.data : null
}

export type DayCount = { day: string; count: number }
export type RevenueCurrency = {
  currency: string
  /** Net of refunds, in the currency's major unit (XTR: stars). */
  total: number
  providers: string[]
  plans: string[]
  /** One row per day: what was paid per provider (keys are provider names) and, when any, `refunds` (negative). */
  byDay: Array<{ day: string } & Record<string, number | string>>
  byProvider: Array<{ provider: string; gross: number; refunded: number; net: number; payments: number }>
  byPlan: Array<{ plan: string; net: number; payments: number }>
}
export type DashboardData = {
  period: Period
  days: string[]
  generatedAt: string
  activity: {
    /** Where DAU/MAU come from: accounts.lastSeenAt, or (until it exists) the activity the database records. */
    source: 'lastSeenAt' | 'activity'
    dau: number
    mau: number
    daily: DayCount[]
  }
  newAccounts: DayCount[]
  content: Array<{ day: string; generated: number; approved: number; published: number }>
  approval: { approved: number; changesRequested: number; rate: number | null; daily: Array<{ day: string; rate: number | null }> }
  aiCost: Array<{ day: string; costUsd: number; perArticleUsd: number | null }>
  wordsPerMinute: Array<{ day: string; wpm: number | null; articles: number }>
  publishing: Array<{ platform: string; published: number; failed: number; unconfirmed: number; rate: number | null }>
  /** Null when the processes keep no webhook rollup yet (the chart says "no data yet"). */
  webhooks: WebhookStats | null
  /** Null while the payments table does not exist (billing not installed). */
  revenue: RevenueCurrency[] | null
}

type Row = Record<string, unknown>
const dayKey = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10)
const num = (value: unknown) => (value === null || value === undefined ? 0 : Number(value))

/** The period's UTC days, oldest first, ending today. */
export function periodDays(period: Period, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  return Array.from({ length: period }, (_, i) => new Date(today - (period - 1 - i) * 86_400_000).toISOString().slice(0, 10))
}

async function rows(payload: Payload, query: ReturnType<typeof sql>): Promise<Row[]> {
  const result = await payload.db.drizzle.execute(query)
  return result.rows as Row[]
}

async function columnExists(payload: Payload, table: string, column: string): Promise<boolean> {
  const found = await rows(
    payload,
    sql`select 1 from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`,
  )
  return found.length > 0
}

function fill<T extends { day: string }>(days: string[], found: Row[], make: (row: Row | undefined, day: string) => T): T[] {
  const byDay = new Map(found.map((row) => [dayKey(row.day), row]))
  return days.map((day) => make(byDay.get(day), day))
}

/** Accounts that did something: ordered or were charged for AI work, moved their content, or had content made. */
const ACTIVITY = sql`
  select account_id, created_at from ai_runs where account_id is not null
  union all select actor_account_id, created_at from workflow_events where actor_kind = 'account' and actor_account_id is not null
  union all select account_id, created_at from articles where account_id is not null
  union all select account_id, created_at from posts where account_id is not null`

async function activity(payload: Payload, from: string, days: string[]): Promise<DashboardData['activity']> {
  const daily = await rows(
    payload,
    sql`select (created_at at time zone 'UTC')::date as day, count(distinct account_id)::int as count
          from (${ACTIVITY}) a where created_at >= ${from}::date group by 1`,
  )
  const series = fill(days, daily, (row, day) => ({ day, count: num(row?.count) }))
  if (await columnExists(payload, 'accounts', 'last_seen_at')) {
    const [row] = await rows(
      payload,
      sql`select count(*) filter (where last_seen_at >= now() - interval '1 day')::int as dau,
                 count(*) filter (where last_seen_at >= now() - interval '30 days')::int as mau
            from accounts`,
    )
    return { source: 'lastSeenAt', dau: num(row?.dau), mau: num(row?.mau), daily: series }
  }
  const [row] = await rows(
    payload,
    sql`select count(distinct account_id) filter (where created_at >= now() - interval '1 day')::int as dau,
               count(distinct account_id) filter (where created_at >= now() - interval '30 days')::int as mau
          from (${ACTIVITY}) a`,
  )
  return { source: 'activity', dau: num(row?.dau), mau: num(row?.mau), daily: series }
}

async function content(payload: Payload, from: string, days: string[]) {
  const found = await rows(
    payload,
    sql`select day, sum(generated)::int as generated, sum(approved)::int as approved, sum(published)::int as published from (
          select (created_at at time zone 'UTC')::date as day, 1 as generated, 0 as approved, 0 as published from articles where created_at >= ${from}::date
          union all select (created_at at time zone 'UTC')::date, 1, 0, 0 from posts where created_at >= ${from}::date
          union all select (created_at at time zone 'UTC')::date, 0, 1, 0 from workflow_events where created_at >= ${from}::date and "to" = 'approved'
          union all select (coalesce(sent_at, updated_at) at time zone 'UTC')::date, 0, 0, 1
            from publications where status = 'published' and coalesce(sent_at, updated_at) >= ${from}::date
        ) c group by day`,
  )
  return fill(days, found, (row, day) => ({ day, generated: num(row?.generated), approved: num(row?.approved), published: num(row?.published) }))
}

/** Review decisions: approved against sent back with changes requested. */
async function approval(payload: Payload, from: string, days: string[]): Promise<DashboardData['approval']> {
  const found = await rows(
    payload,
    sql`select (created_at at time zone 'UTC')::date as day,
               count(*) filter (where "to" = 'approved')::int as approved,
               count(*) filter (where "to" = 'changes_requested')::int as changes
          from workflow_events
         where created_at >= ${from}::date and "from" = 'in_review' and "to" in ('approved', 'changes_requested')
         group by 1`,
  )
  const approved = found.reduce((sum, row) => sum + num(row.approved), 0)
  const changesRequested = found.reduce((sum, row) => sum + num(row.changes), 0)
  const rate = (a: number, c: number) => (a + c === 0 ? null : a / (a + c))
  return {
    approved,
    changesRequested,
    rate: rate(approved, changesRequested),
    daily: fill(days, found, (row, day) => ({ day, rate: rate(num(row?.approved), num(row?.changes)) })),
  }
}

async function aiCost(payload: Payload, from: string, days: string[]) {
  const found = await rows(
    payload,
    sql`select (created_at at time zone 'UTC')::date as day, coalesce(sum(cost_usd), 0)::float8 as cost,
               coalesce(sum(cost_usd) filter (where article_id is not null), 0)::float8 as article_cost,
               count(distinct article_id)::int as articles
          from ai_runs where created_at >= ${from}::date group by 1`,
  )
  return fill(days, found, (row, day) => ({
    day,
    costUsd: num(row?.cost),
    perArticleUsd: num(row?.articles) > 0 ? num(row?.article_cost) / num(row?.articles) : null,
  }))
}

/** An article's words over the time its successful model calls took, on the day its last call ended. */
async function wordsPerMinute(payload: Payload, from: string, days: string[]) {
  const found = await rows(
    payload,
    sql`select day, sum(words)::float8 as words, sum(ms)::float8 as ms, count(*)::int as articles from (
          select (max(r.created_at) at time zone 'UTC')::date as day, max(a.word_count) as words, sum(r.latency_ms) as ms
            from ai_runs r join articles a on a.id = r.article_id
           where r.outcome = 'ok' and r.latency_ms > 0 and a.word_count > 0
           group by a.id
        ) w where day >= ${from}::date group by day`,
  )
  return fill(days, found, (row, day) => ({
    day,
    wpm: row && num(row.ms) > 0 ? Math.round((num(row.words) / num(row.ms)) * 60_000) : null,
    articles: num(row?.articles),
  }))
}

/** Publications that ended in the period, by the platform of their connection. */
async function publishing(payload: Payload, from: string) {
  const found = await rows(
    payload,
    sql`select c.platform::text as platform,
               count(*) filter (where p.status = 'published')::int as published,
               count(*) filter (where p.status = 'failed')::int as failed,
               count(*) filter (where p.status = 'unconfirmed')::int as unconfirmed
          from publications p join connections c on c.id = p.connection_id
         where p.updated_at >= ${from}::date and p.status in ('published', 'failed', 'unconfirmed')
         group by 1 order by 1`,
  )
  return found.map((row) => {
    const published = num(row.published)
    const total = published + num(row.failed) + num(row.unconfirmed)
    return { platform: String(row.platform), published, failed: num(row.failed), unconfirmed: num(row.unconfirmed), rate: total === 0 ? null : published / total }
  })
}

const REVENUE_SOURCE = `payments`
/** The key of a day's refunds (negative) in `RevenueCurrency.byDay`. */
export const REFUNDS = 'refunds'

/**
 * Succeeded payments (on the day they were paid) minus refunds (on the day of the refund), per
 * currency (never summed across currencies), provider and plan or pack. Amounts are stored in
 * minor units (kopecks, cents; XTR has none).
 */
async function revenue(payload: Payload, from: string, days: string[]): Promise<RevenueCurrency[] | null> {
  const [exists] = await rows(payload, sql`select to_regclass(${REVENUE_SOURCE}) is not null as ok`)
  if (!exists?.ok) return null
  const found = await rows(
    payload,
    sql`select day, currency, provider, plan, sum(payments)::int as payments, sum(gross)::float8 as gross, sum(refunded)::float8 as refunded from (
          select (paid_at at time zone 'UTC')::date as day, upper(currency::text) as currency, provider::text as provider,
                 case when product_kind::text = 'plan' then product_code else 'pack: ' || product_code end as plan,
                 1 as payments, amount as gross, 0 as refunded
            from payments where status in ('succeeded', 'refunded', 'partially_refunded') and paid_at >= ${from}::date
          union all
          select (refunded_at at time zone 'UTC')::date, upper(currency::text), provider::text,
                 case when product_kind::text = 'plan' then product_code else 'pack: ' || product_code end,
                 0, 0, refunded_amount
            from payments where refunded_amount > 0 and refunded_at >= ${from}::date
        ) r
         group by 1, 2, 3, 4`,
  )
  const minor = (currency: string) => (currency === 'XTR' ? 1 : 100)
  const byCurrency = new Map<string, Row[]>()
  for (const row of found) byCurrency.set(String(row.currency), [...(byCurrency.get(String(row.currency)) ?? []), row])
  return [...byCurrency.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, list]) => {
      const unit = minor(currency)
      const providers = [...new Set(list.map((row) => String(row.provider)))].sort()
      const plans = [...new Set(list.map((row) => String(row.plan)))].sort()
      const net = (row: Row) => (num(row.gross) - num(row.refunded)) / unit
      const anyRefund = list.some((row) => num(row.refunded) > 0)
      const byDay = days.map((day) => {
        const entry: { day: string } & Record<string, number | string> = { day }
        const today = list.filter((row) => dayKey(row.day) === day)
        for (const provider of providers) {
          entry[provider] = today.filter((row) => row.provider === provider).reduce((sum, row) => sum + num(row.gross), 0) / unit
        }
        if (anyRefund) entry[REFUNDS] = -today.reduce((sum, row) => sum + num(row.refunded), 0) / unit
        return entry
      })
      return {
        currency,
        total: list.reduce((sum, row) => sum + net(row), 0),
        providers,
        plans,
        byDay,
        byProvider: providers.map((provider) => {
          const mine = list.filter((row) => row.provider === provider)
          return {
            provider,
            gross: mine.reduce((sum, row) => sum + num(row.gross), 0) / unit,
            refunded: mine.reduce((sum, row) => sum + num(row.refunded), 0) / unit,
            net: mine.reduce((sum, row) => sum + net(row), 0),
            payments: mine.reduce((sum, row) => sum + num(row.payments), 0),
          }
        }),
        byPlan: plans.map((plan) => {
          const mine = list.filter((row) => row.plan === plan)
          return { plan, net: mine.reduce((sum, row) => sum + net(row), 0), payments: mine.reduce((sum, row) => sum + num(row.payments), 0) }
        }),
      }
    })
}

/** The webhook's p50/p99 and error rate over the last 24 h, from the rollup every web process writes to Redis. */
async function webhooks(): Promise<WebhookStats | null> {
  return webhookStats({ hours: 24 })
}

/** Every figure of the admin home for the last `period` days (UTC). */
export async function dashboardData(payload: Payload, period: Period, now = new Date()): Promise<DashboardData> {
  const days = periodDays(period, now)
  const from = days[0]
  const safely = async <T>(name: string, work: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work()
    } catch (error) {
      // One broken figure (a table another release has not migrated yet) must not blank the admin home.
      logger().warn({ err: error, figure: name }, 'dashboard figure failed')
      return fallback
    }
  }
  const [activityData, newAccounts, contentData, approvalData, aiCostData, wpmData, publishingData, webhookData, revenueData] = await Promise.all([
    activity(payload, from, days),
    rows(payload, sql`select (created_at at time zone 'UTC')::date as day, count(*)::int as count from accounts where created_at >= ${from}::date group by 1`).then((found) =>
      fill(days, found, (row, day) => ({ day, count: num(row?.count) })),
    ),
    content(payload, from, days),
    approval(payload, from, days),
    aiCost(payload, from, days),
    wordsPerMinute(payload, from, days),
    publishing(payload, from),
    safely('webhooks', webhooks, null),
    safely('revenue', () => revenue(payload, from, days), null),
  ])
  return {
    period,
    days,
    generatedAt: now.toISOString(),
    activity: activityData,
    newAccounts,
    content: contentData,
    approval: approvalData,
    aiCost: aiCostData,
    wordsPerMinute: wpmData,
    publishing: publishingData,
    webhooks: webhookData,
    revenue: revenueData,
  }
}

/** The roles that see the dashboard's figures: staff, never customers. */
export const canSeeDashboard = (req: Pick<PayloadRequest, 'user'>) => isStaff(req, 'admin', 'support', 'editor')

/** GET /api/ops/dashboard?days=7|30|90: the same figures as JSON, for staff. */
export const dashboardEndpoints: Endpoint[] = [
  {
    path: '/ops/dashboard',
    method: 'get',
    handler: async (req) => {
      if (!canSeeDashboard(req)) throw new AppError('auth.staff_only', 403, languageOf(req))
      const period = strictPeriodOf(req.searchParams.get('days'))
      if (period === null) throw new AppError('ops.bad_days', 400, languageOf(req), { allowed: PERIODS.join(', ') })
      return Response.json(await dashboardData(req.payload, period))
    },
  },
]
