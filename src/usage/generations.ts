import type { Redis } from 'ioredis'

import { evalScript } from '../lib/redis'
import { isValidTimeZone } from '../lib/timezone'
import type { Account } from '../payload-types'
import { DEFAULT_PLAN, PLAN_LIMITS, type Plan } from './plans'
import { nextLocalMidnight } from './spend'

/**
 * Generation requests per day, counted per account and calendar day in the account's time zone.
 * The limit is read from the plan the account has now (the caller passes the account as stored,
 * not a cached copy), so a plan changed by staff applies to the very next request, and the count
 * starts again at the customer's midnight, which is what the refusal tells them.
 */
export type DailyLimitRefusal = {
  plan: Plan
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
 * refills. `release` gives it back when the request did not turn into a job after all.
 */
export async function takeDailyGeneration(
  redis: Redis,
  keyPrefix: string,
  account: Counted,
  now = new Date(),
): Promise<GenerationAllowance> {
  const plan = (account.plan ?? DEFAULT_PLAN) as Plan
  const limit = PLAN_LIMITS[plan].dailyGenerations
  const timeZone = zoneOf(account)
  const resetsAt = nextLocalMidnight(timeZone, now)
  const key = `${keyPrefix}gen:${account.id}:${localDate(timeZone, now)}`
  const [allowed, used] = (await evalScript(redis, TAKE, [key], [limit, resetsAt.getTime() + 3600_000])) as [number, number]
  if (allowed === 1) return { allowed: true, release: async () => void (await redis.decr(key)) }
  return { allowed: false, refusal: { plan, used: Number(used), limit, resetsAt, timeZone } }
}

