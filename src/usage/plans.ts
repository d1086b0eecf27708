/** What each plan allows per day. Spend is in USD of model cost; generations are requests. */
export const PLAN_LIMITS = {
  free: { dailySpendUsd: 0.5, dailyGenerations: 3 },
  starter: { dailySpendUsd: 3, dailyGenerations: 20 },
  pro: { dailySpendUsd: 15, dailyGenerations: 100 },
  agency: { dailySpendUsd: 60, dailyGenerations: 400 },
} as const

export type Plan = keyof typeof PLAN_LIMITS

/** The plans, in the order staff see them (and the database enum lists them). */
export const PLANS = Object.keys(PLAN_LIMITS) as Plan[]

/** The plan of a new account. */
export const DEFAULT_PLAN: Plan = 'free'
