import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { t } from '../i18n'
import { databaseScope, evalScript, redis } from '../lib/redis'
import { isValidTimeZone } from '../lib/timezone'
import type { Account } from '../payload-types'
import { effectivePlan, planName, type EffectivePlan } from './limits'
import { nextLocalMidnight, refillParts } from './spend'

/**
 * Generation orders per day, counted per account and calendar day in the account's time zone, in
 * the domain (src/content/generation.ts takes one where an order becomes a job), so the bot, its
 * staff console, REST, GraphQL and the admin share one count. The limit is read from the plan as
 * stored now (src/usage/limits.ts), so a plan changed by staff applies to the very next order,
 * and the count starts again at the customer's midnight, which is what the refusal tells them.
 */
export type DailyLimitRefusal = {
  plan: EffectivePlan
  used: number
  limit: number
  /** The customer's next midnight, as a UTC instant. */
  resetsAt: Date
  timeZone: string
}

export type GenerationAllowance = { allowed: true; release: () => Promise<void> } | { allowed: false; refusal: DailyLimitRefusal }

const TAKE = `
local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
if used > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, used - 1}
end
return {1, used}
`

type Counted = Pick<Account, 'id' | 'plan' | 'timezone'>

function zoneOf(account: Counted): string {
  return account.timezone && isValidTimeZone(account.timezone) ? account.timezone : 'UTC'
}

function localDate(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/**
 * Takes one generation from today's allowance of the account's plan, or says why not and when it
 * refills. `release` gives it back when the order did not turn into a job after all. Pass the
 * account as stored now (its plan decides the limit).
 */
export async function takeDailyGeneration(payload: Payload, account: Counted, now = new Date()): Promise<GenerationAllowance> {
  const plan = await effectivePlan(payload, account)
  const limit = plan.limits.dailyGenerations
  const timeZone = zoneOf(account)
  const resetsAt = nextLocalMidnight(timeZone, now)
  const key = `pf:${databaseScope()}:gen:${account.id}:${localDate(timeZone, now)}`
  const [allowed, used] = (await evalScript(redis(), TAKE, [key], [limit, resetsAt.getTime() + 3600_000])) as [number, number]
  if (allowed === 1) return { allowed: true, release: async () => void (await redis().decr(key)) }
  return { allowed: false, refusal: { plan, used: Number(used), limit, resetsAt, timeZone } }
}

/** How many generations the account has taken today (its day, its zone): what /plan shows (billing, B3). */
export async function generationsUsedToday(account: Pick<Account, 'id' | 'timezone'>, now = new Date()): Promise<number> {
  const key = `pf:${databaseScope()}:gen:${account.id}:${localDate(zoneOf(account as Counted), now)}`
  return Number((await redis().get(key)) ?? 0)
}

/** The refusal as an error, for faces that answer with one (REST, GraphQL, the admin). */
export function dailyLimitError(refusal: DailyLimitRefusal, language: string | null | undefined): AppError {
  return new AppError('usage.daily_generations', 402, language, {
    plan: planName(refusal.plan, language),
    used: refusal.used,
    limit: refusal.limit,
    refills: t(language, 'usage.refills', refillParts(refusal.timeZone)),
  })
}
