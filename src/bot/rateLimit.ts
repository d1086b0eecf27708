import type { Bucket } from '../lib/tokenBucket'

export type { Bucket }

export type RateLimits = {
  /** Every update a user sends: about one a second with a burst of five. */
  updates: Bucket
  /** How long one "slow down" notice covers before another may be sent. */
  noticeWindowMs: number
}

export const DEFAULT_LIMITS: RateLimits = {
  updates: { capacity: 5, perSecond: 1 },
  noticeWindowMs: 10_000,
}
// AI generation is held to the plan's daily count instead (src/usage/generations.ts).

export { takeToken, type TakeResult } from '../lib/tokenBucket'
