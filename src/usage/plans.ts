/**
 * Plans live in the `plans` collection (staff edit them in the admin, group Billing); what is
 * here is only their shape, the four plans the first migration seeds, and the fallback used when
 * the table has no default at all (a broken catalogue must not stop generation for everyone).
 */

/** What a plan allows. Spend is in USD of model cost; generations are requests a day. */
export type PlanLimits = {
  maxProjects: number
  maxConnections: number
  dailyGenerations: number
  dailySpendUsd: number
}

export const CURRENCIES = ['XTR', 'RUB', 'USD', 'EUR'] as const
export type Currency = (typeof CURRENCIES)[number]

/** A price in the currency's minor unit: whole Telegram Stars, kopecks, cents. */
export type Price = { currency: Currency; amount: number }

export type SeedPlan = {
  code: string
  name: { ru: string; en: string }
  description: { ru: string; en: string }
  isDefault: boolean
  sortOrder: number
  limits: PlanLimits
  monthlyCredits: number
  prices: Price[]
}

/**
 * The plans as launched (seeded by the `plans_and_credit_packs` migration). Free keeps today's
 * daily limits and allows 2 projects and 3 connections: enough to try a site and its channels;
 * each paid step allows several times more of everything. Prices are monthly.
 */
export const SEED_PLANS: SeedPlan[] = [
  {
    code: 'free',
    name: { ru: 'Free', en: 'Free' },
    description: { ru: 'Попробовать: один-два проекта и несколько генераций в день.', en: 'To try it: a project or two and a few generations a day.' },
    isDefault: true,
    sortOrder: 0,
    limits: { maxProjects: 2, maxConnections: 3, dailyGenerations: 3, dailySpendUsd: 0.5 },
    monthlyCredits: 0,
    prices: [],
  },
  {
    code: 'starter',
    name: { ru: 'Starter', en: 'Starter' },
    description: { ru: 'Для одного сайта с регулярными публикациями.', en: 'For one site that publishes regularly.' },
    isDefault: false,
    sortOrder: 10,
    limits: { maxProjects: 3, maxConnections: 6, dailyGenerations: 20, dailySpendUsd: 3 },
    monthlyCredits: 1_000,
    prices: [
      { currency: 'XTR', amount: 250 },
      { currency: 'RUB', amount: 49_000 },
      { currency: 'USD', amount: 900 },
    ],
  },
  {
    code: 'pro',
    name: { ru: 'Pro', en: 'Pro' },
    description: { ru: 'Для нескольких сайтов и соцсетей.', en: 'For several sites and social accounts.' },
    isDefault: false,
    sortOrder: 20,
    limits: { maxProjects: 10, maxConnections: 25, dailyGenerations: 100, dailySpendUsd: 15 },
    monthlyCredits: 5_000,
    prices: [
      { currency: 'XTR', amount: 1_000 },
      { currency: 'RUB', amount: 199_000 },
      { currency: 'USD', amount: 2_900 },
    ],
  },
  {
    code: 'agency',
    name: { ru: 'Agency', en: 'Agency' },
    description: { ru: 'Для агентств: много клиентов и каналов.', en: 'For agencies: many clients and channels.' },
    isDefault: false,
    sortOrder: 30,
    limits: { maxProjects: 50, maxConnections: 150, dailyGenerations: 400, dailySpendUsd: 60 },
    monthlyCredits: 20_000,
    prices: [
      { currency: 'XTR', amount: 4_000 },
      { currency: 'RUB', amount: 690_000 },
      { currency: 'USD', amount: 9_900 },
    ],
  },
]

export type SeedCreditPack = { code: string; name: { ru: string; en: string }; credits: number; sortOrder: number; prices: Price[] }

/** Top-ups as launched (100 credits are about 1 USD of model cost before the margin). */
export const SEED_CREDIT_PACKS: SeedCreditPack[] = [
  { code: 'credits-500', name: { ru: '500 кредитов', en: '500 credits' }, credits: 500, sortOrder: 10, prices: [{ currency: 'XTR', amount: 150 }, { currency: 'RUB', amount: 29_000 }, { currency: 'USD', amount: 500 }] },
  { code: 'credits-2000', name: { ru: '2000 кредитов', en: '2000 credits' }, credits: 2_000, sortOrder: 20, prices: [{ currency: 'XTR', amount: 550 }, { currency: 'RUB', amount: 99_000 }, { currency: 'USD', amount: 1_800 }] },
  { code: 'credits-10000', name: { ru: '10 000 кредитов', en: '10,000 credits' }, credits: 10_000, sortOrder: 30, prices: [{ currency: 'XTR', amount: 2_500 }, { currency: 'RUB', amount: 449_000 }, { currency: 'USD', amount: 8_000 }] },
]

/** Used only when the catalogue has no usable default plan (logged): the seeded free plan. */
export const FALLBACK_PLAN: SeedPlan = SEED_PLANS[0]!

/** A plan code: lower-case letters, digits, dashes and underscores (stored on accounts). */
export const PLAN_CODE = /^[a-z0-9][a-z0-9_-]{1,31}$/

/**
 * The seeded default plan's code. The live default (staff's mark, or BILLING_DEFAULT_PLAN) is
 * `defaultPlan(payload)` in ./limits: prefer it; a new account without a plan gets it anyway.
 */
export const DEFAULT_PLAN: string = FALLBACK_PLAN.code
