/** What each plan allows per day. Spend is in USD of model cost; generations are requests. */
export const PLAN_LIMITS = {
  free: { dailySpendUsd: 0.5, dailyGenerations: 3 },
  starter: { dailySpendUsd: 3, dailyGenerations: 20 },
  pro: { dailySpendUsd: 15, dailyGenerations: 100 },
  agency: { dailySpendUsd: 60, dailyGenerations: 400 },
} as const

export type Plan = keyof typeof PLAN_LIMITS
