import type { Payload } from 'payload'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { databaseScope, redis } from '../lib/redis'
import type { Account, Plan as PlanRow } from '../payload-types'
import { FALLBACK_PLAN, type PlanLimits } from './plans'

/** A plan as the limits see it: its code, its names, what it allows. */
export type EffectivePlan = {
  code: string
  name: { ru: string; en: string }
  limits: PlanLimits
  /** The account's own plan code was not found: these are the default plan's limits. */
  fallback: boolean
}

/**
 * How long a process keeps its copy of the catalogue at most. Every read also asks Redis for the
 * catalogue's version (one GET), bumped whenever staff save a plan, so a change made in any
 * process applies to the next request everywhere. The bound covers what the version cannot: Redis
 * away, and a read that raced the change's commit (the version is bumped inside the transaction).
 */
const TRUST_MS = 5_000

type Catalogue = { version: string | null; at: number; plans: Map<string, PlanRow> }
let cached: Catalogue | undefined

const versionKey = () => `pf:${databaseScope()}:plans:version`

async function catalogueVersion(): Promise<string | null> {
  try {
    return await redis().get(versionKey())
  } catch {
    return null
  }
}

async function catalogue(payload: Payload): Promise<Map<string, PlanRow>> {
  const version = await catalogueVersion()
  const fresh = cached && cached.version === version && Date.now() - cached.at < TRUST_MS
  if (cached && fresh) return cached.plans
  const { docs } = await payload.find({ collection: 'plans', limit: 500, depth: 0, pagination: false, overrideAccess: true })
  cached = { version, at: Date.now(), plans: new Map(docs.map((doc) => [doc.code, doc])) }
  return cached.plans
}

/**
 * Staff changed the catalogue (the plans collection's hooks): this process drops its copy at once
 * and every other process sees a new version on its next read.
 */
export async function forgetPlans(): Promise<void> {
  cached = undefined
  try {
    await redis().incr(versionKey())
  } catch (error) {
    logger().warn({ err: error }, `plans changed but Redis is away: other processes see it within ${TRUST_MS / 1000} s`)
  }
}

const toEffective = (row: PlanRow, fallback: boolean): EffectivePlan => ({
  code: row.code,
  name: { ru: row.name.ru, en: row.name.en },
  limits: {
    maxProjects: row.limits.maxProjects,
    maxConnections: row.limits.maxConnections,
    dailyGenerations: row.limits.dailyGenerations,
    dailySpendUsd: row.limits.dailySpendUsd,
  },
  fallback,
})

/**
 * The plan a new account gets, and the one whose limits apply when an account's plan code is
 * not in the catalogue: BILLING_DEFAULT_PLAN when it names a plan, else the row marked default.
 */
export async function defaultPlan(payload: Payload): Promise<EffectivePlan> {
  const plans = await catalogue(payload)
  const configured = env().BILLING_DEFAULT_PLAN
  const row = (configured && plans.get(configured)) || [...plans.values()].find((p) => p.isDefault)
  if (row) return toEffective(row, false)
  logger().error('no default plan in the catalogue: mark one in the admin (Billing → Plans); using the built-in free limits')
  return { code: FALLBACK_PLAN.code, name: FALLBACK_PLAN.name, limits: FALLBACK_PLAN.limits, fallback: true }
}

/** Whether a plan with this code exists (the accounts' plan field accepts only those). */
export async function planExists(payload: Payload, code: string): Promise<boolean> {
  return (await catalogue(payload)).has(code)
}

/**
 * The one reading of an account's limits, used by every check (projects, connections, daily
 * generations, daily spend) on every face: the plan row of the account's code, as staff last
 * saved it; a code not in the catalogue falls back to the default plan.
 */
export async function effectivePlan(payload: Payload, account: Pick<Account, 'plan'>): Promise<EffectivePlan> {
  const row = account.plan ? (await catalogue(payload)).get(account.plan) : undefined
  if (row) return toEffective(row, false)
  const fallback = await defaultPlan(payload)
  if (account.plan) logger().warn({ plan: account.plan, using: fallback.code }, 'account plan not in the catalogue: default plan limits apply')
  return { ...fallback, fallback: true }
}

/** The plan's name in the customer's language. */
export function planName(plan: Pick<EffectivePlan, 'name'>, language: string | null | undefined): string {
  return language === 'en' ? plan.name.en : plan.name.ru
}
