import type { Plan } from '../usage/plans'
import { PLAN_LIMITS } from '../usage/plans'

import type { Bucket } from '../lib/tokenBucket'

export type { Bucket }

export type RateLimits = {
  /** Every update a user sends: about one a second with a burst of five. */
  updates: Bucket
  /** How long one "slow down" notice covers before another may be sent. */
  noticeWindowMs: number
  /** AI generation requests per plan: stricter, refilled over a day. */
  generation: Record<Plan, Bucket>
}

const DAY = 24 * 60 * 60

export const DEFAULT_LIMITS: RateLimits = {
  updates: { capacity: 5, perSecond: 1 },
  noticeWindowMs: 10_000,
  generation: Object.fromEntries(
    Object.entries(PLAN_LIMITS).map(([plan, limits]) => [
      plan,
      {
        capacity: Math.max(2, Math.ceil(limits.dailyGenerations / 10)),
        perSecond: limits.dailyGenerations / DAY,
      },
    ]),
  ) as Record<Plan, Bucket>,
}

export { takeToken, type TakeResult } from '../lib/tokenBucket'
