import type { Payload, PayloadRequest, Where } from 'payload'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { DEFAULT_PLAN } from '../usage/plans'

export const PAYMENT_STATUSES = ['pending', 'waiting_for_capture', 'succeeded', 'canceled', 'refunded', 'partially_refunded'] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

export const SUBSCRIPTION_STATUSES = ['active', 'past_due', 'canceled'] as const
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number]

export const LEDGER_KINDS = ['grant', 'purchase', 'spend', 'refund', 'expiry', 'adjustment'] as const
export type LedgerKind = (typeof LEDGER_KINDS)[number]

/** What staff may write by hand (the admin's "manual grant"); everything else is the system's. */
export const STAFF_LEDGER_KINDS = ['grant', 'adjustment'] as const satisfies readonly LedgerKind[]

/** Credits for a recorded model cost: ceil(USD x BILLING_CREDITS_PER_USD x BILLING_CREDIT_MARGIN). */
export function creditsForCost(costUsd: number): number {
  if (!(costUsd > 0)) return 0
  const { BILLING_CREDITS_PER_USD, BILLING_CREDIT_MARGIN } = env()
  // Rounded to 1e-9 first, so 0.1 + 0.2 style float noise never adds a credit.
  return Math.ceil(Number((costUsd * BILLING_CREDITS_PER_USD * BILLING_CREDIT_MARGIN).toFixed(9)))
}

/**
 * What a generation reserves before its first model call, in USD of model cost (then converted
 * like any cost): a generous estimate of a whole run of that kind, so an account that cannot cover
 * it is refused before anything is spent. The reservation is settled to the recorded cost after.
 */
export const RESERVE_USD: Record<'cluster' | 'article' | 'post', number> = {
  cluster: 0.02,
  article: 0.15,
  post: 0.03,
}

/**
 * The plan accounts fall back to, as `defaultPlan` in src/usage/limits.ts reads it (new accounts,
 * the limits of an unknown plan): BILLING_DEFAULT_PLAN when it names a plan in the catalogue, else
 * the plan staff marked default, else the seeded one. Read inside the caller's transaction (`req`).
 */
export async function defaultPlanCode(payload: Payload, req?: Partial<PayloadRequest>): Promise<string> {
  if (!('plans' in payload.collections)) return DEFAULT_PLAN
  const configured = env().BILLING_DEFAULT_PLAN
  const where: Where = configured ? { or: [{ code: { equals: configured } }, { isDefault: { equals: true } }] } : { isDefault: { equals: true } }
  const { docs } = await payload.find({ collection: 'plans' as never, where, limit: 2, depth: 0, pagination: false, req })
  const rows = docs as CatalogueDoc[]
  return (configured && rows.find((row) => row.code === configured)?.code) || rows.find((row) => row.isDefault)?.code || DEFAULT_PLAN
}

type CatalogueDoc = {
  code?: string | null
  isDefault?: boolean | null
  monthlyCredits?: number | null
  credits?: number | null
  prices?: { currency?: string | null; stripePriceId?: string | null }[] | null
}

/**
 * The plan's monthly credits, read from B1's `plans` collection (field `monthlyCredits`) when it
 * exists; 0 otherwise (a plan without credits still sets the limits).
 */
export async function planMonthlyCredits(payload: Payload, planCode: string, req?: Partial<PayloadRequest>): Promise<number> {
  const doc = await catalogueDoc(payload, 'plans', planCode, req)
  // BF2b: a payment for a plan that no longer exists grants nothing: staff must credit it by hand.
  if (!doc) logger().error({ planCode }, 'a plan payment for a plan that no longer exists: 0 credits granted, grant them by hand')
  return doc?.monthlyCredits ?? 0
}

/** The plan's monthly credits, or null when no plan has this code (B1's `plans`). */
export async function planCatalogueCredits(payload: Payload, planCode: string, req?: Partial<PayloadRequest>): Promise<number | null> {
  const doc = await catalogueDoc(payload, 'plans', planCode, req)
  return doc ? (doc.monthlyCredits ?? 0) : null
}

/**
 * The Stripe price staff set for this product in this currency (the catalogue's
 * `prices[].stripePriceId`), or null: Checkout then charges an inline price of our amount.
 */
export async function stripePriceIdOf(payload: Payload, product: { kind: 'plan' | 'pack'; code: string }, currency: string, req?: Partial<PayloadRequest>): Promise<string | null> {
  const doc = await catalogueDoc(payload, product.kind === 'plan' ? 'plans' : 'credit-packs', product.code, req)
  return doc?.prices?.find((price) => price.currency === currency)?.stripePriceId || null
}

/** The credits a pack gives, from B1's `credit-packs` collection (field `credits`). */
export async function packCredits(payload: Payload, packCode: string, req?: Partial<PayloadRequest>): Promise<number | null> {
  const doc = await catalogueDoc(payload, 'credit-packs', packCode, req)
  return doc ? (doc.credits ?? 0) : null
}

/** Inside a billing transaction pass its `req`: a second pool connection per transaction can starve the pool. */
async function catalogueDoc(payload: Payload, slug: string, code: string, req?: Partial<PayloadRequest>): Promise<CatalogueDoc | null> {
  if (!(slug in payload.collections)) return null
  const { docs } = await payload.find({ collection: slug as never, where: { code: { equals: code } }, limit: 1, depth: 0, pagination: false, req })
  return (docs[0] as CatalogueDoc | undefined) ?? null
}
