import { randomUUID } from 'node:crypto'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { logger } from '../lib/logger'
import { inTransaction, transactionOf, type DrizzleLike, type JobTransaction } from '../jobs/addJob'
import type { LedgerKind } from './config'

/**
 * The credit ledger: one append-only row per movement of credits, the balance is their sum.
 *
 * Rules (README "Billing"):
 * - Rows are never updated or deleted, by anyone, through any API (the collection's access says
 *   nobody). A mistake is corrected by a new `adjustment` row.
 * - Every movement of one account runs in a transaction holding that account's advisory lock
 *   (`lockAccount`), reads the balance under it and refuses to go below zero: concurrent spends
 *   are serialised and the balance never goes negative.
 * - Every row has a unique `idempotencyKey` (the provider's payment or charge id, the generation's
 *   hold, a refund request): writing the same movement twice applies it once.
 */

/** A transaction of the billing core: Payload's request (for Local API calls) and its SQL handle. */
export type BillingTx = { req: JobTransaction; db: DrizzleLike }

/** Runs `work` in one transaction of its own and commits it (or rolls everything back). */
export async function inBillingTransaction<T>(payload: Payload, work: (tx: BillingTx) => Promise<T>): Promise<T> {
  return inTransaction(payload, async (req) => {
    const db = await transactionOf(req)
    if (!db) throw new Error('billing needs database transactions')
    return work({ req, db })
  })
}

/** The first key of the advisory lock pair that serialises an account's ledger movements. */
const LEDGER_LOCK = 0x62696c6c // 'bill'

/** Holds the account's ledger lock until the transaction ends. */
export async function lockAccount(db: DrizzleLike, accountId: number): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(${LEDGER_LOCK}::int, ${accountId}::int)`)
}

/**
 * The most credits one ledger row may move either way (a staff grant, a purchase, a spend). With
 * it a balance stays exact: reaching 2^53 (where a JS number starts losing whole credits) takes
 * over 9 million rows at the bound, 2^63 (bigint's end) over 9 billion. The sum below is taken
 * as `numeric` anyway, so no row written before the bound can make the balance throw for ever.
 */
export const MAX_ENTRY_CREDITS = 1_000_000_000

/** Whether `credits` is a whole amount one row may carry (|credits| <= MAX_ENTRY_CREDITS). */
export function creditsInBounds(credits: unknown): credits is number {
  return typeof credits === 'number' && Number.isSafeInteger(credits) && Math.abs(credits) <= MAX_ENTRY_CREDITS
}

/** The account's balance: the sum of its ledger (0 for an account without rows). */
export async function balanceOf(payload: Payload, accountId: number, db?: DrizzleLike): Promise<number> {
  const runner = db ?? (payload.db.drizzle as unknown as DrizzleLike)
  const { rows } = await runner.execute(sql`select coalesce(sum(credits), 0)::numeric::text as balance from credit_ledger where account_id = ${accountId}`)
  return Number(rows[0]?.balance ?? 0)
}

export type LedgerEntryInput = {
  accountId: number
  kind: LedgerKind
  /** Signed whole credits: positive adds, negative takes away. */
  credits: number
  reason?: string | null
  staffUserId?: number | null
  paymentId?: number | null
  /** The generation (job key) a spend or its refund belongs to. */
  jobRef?: string | null
  idempotencyKey: string
}

export type AppendResult = { applied: boolean; id: number | null; balance: number }

/**
 * Appends one row inside `tx` (the caller holds the account's lock: `lockAccount`). The same
 * movement written before (same key, account, kind and credits) applies nothing (`applied:
 * false`); a key already taken by another movement is refused with an error (logged for staff)
 * and the caller's transaction rolls back: nothing may report credits it did not write. Does not
 * check the floor: callers decide (`spend`).
 */
export async function appendEntry(db: DrizzleLike, entry: LedgerEntryInput, balanceBefore: number): Promise<AppendResult> {
  if (!Number.isInteger(entry.credits)) throw new Error(`ledger credits must be whole, got ${entry.credits}`)
  if (!creditsInBounds(entry.credits)) throw new AppError('billing.ledger.credits_out_of_range', 422, null, { max: MAX_ENTRY_CREDITS })
  const balanceAfter = balanceBefore + entry.credits
  const { rows } = await db.execute(sql`
    insert into credit_ledger (account_id, kind, credits, reason, staff_user_id, payment_id, job_ref, idempotency_key, balance_after)
    values (${entry.accountId}, ${entry.kind}, ${entry.credits}, ${entry.reason ?? null}, ${entry.staffUserId ?? null},
            ${entry.paymentId ?? null}, ${entry.jobRef ?? null}, ${entry.idempotencyKey}, ${balanceAfter})
    on conflict (idempotency_key) do nothing
    returning id`)
  const id = rows[0]?.id
  if (id !== undefined) return { applied: true, id: Number(id), balance: balanceAfter }
  const { rows: existing } = await db.execute(sql`select id, account_id, kind, credits from credit_ledger where idempotency_key = ${entry.idempotencyKey}`)
  const row = existing[0] as { id: unknown; account_id: unknown; kind: unknown; credits: unknown } | undefined
  if (!row || Number(row.account_id) !== entry.accountId || row.kind !== entry.kind || Number(row.credits) !== entry.credits) {
    logger().error(
      { idempotencyKey: entry.idempotencyKey, existing: row ? { id: Number(row.id), account: Number(row.account_id), kind: row.kind, credits: Number(row.credits) } : null, wanted: { account: entry.accountId, kind: entry.kind, credits: entry.credits } },
      'a ledger key is already taken by another movement: nothing written, the transaction is refused',
    )
    throw new Error(`ledger key ${entry.idempotencyKey} is already used by another movement`)
  }
  return { applied: false, id: Number(row.id), balance: balanceBefore }
}

/** Whether a row with this key exists (what an idempotent caller checks before deciding). */
export async function entryExists(db: DrizzleLike, idempotencyKey: string): Promise<boolean> {
  const { rows } = await db.execute(sql`select 1 from credit_ledger where idempotency_key = ${idempotencyKey}`)
  return rows.length > 0
}

/**
 * Takes `credits` (> 0) from the account, once per key, never below zero: an account that cannot
 * cover it is refused with `billing.no_credits` (402, in the account's language) and nothing is
 * written. Runs in its own transaction unless given one.
 */
export async function spendCredits(
  payload: Payload,
  input: { accountId: number; credits: number; reason: string; jobRef?: string; idempotencyKey: string; language?: string | null },
  tx?: BillingTx,
): Promise<AppendResult> {
  if (!Number.isInteger(input.credits) || input.credits <= 0) throw new Error(`a spend takes a positive whole number of credits, got ${input.credits}`)
  const work = async (t: BillingTx) => {
    const { db } = t
    await lockAccount(db, input.accountId)
    const balance = await balanceOf(payload, input.accountId, db)
    if (await entryExists(db, input.idempotencyKey)) return { applied: false, id: null, balance }
    if (balance < input.credits) throw await noCredits(payload, input.accountId, balance, input.credits, input.language, t)
    return appendEntry(db, { accountId: input.accountId, kind: 'spend', credits: -input.credits, reason: input.reason, jobRef: input.jobRef, idempotencyKey: input.idempotencyKey }, balance)
  }
  return tx ? work(tx) : inBillingTransaction(payload, work)
}

/** The refusal for an account whose balance cannot cover `needed` credits. */
export async function noCredits(payload: Payload, accountId: number, balance: number, needed: number, language?: string | null, tx?: BillingTx): Promise<AppError> {
  const lang = language ?? (await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, disableErrors: true, req: tx?.req }))?.language
  return new AppError('billing.no_credits', 402, lang, { balance, needed })
}

/**
 * A staff grant (or adjustment) with a required reason: `credits` may be negative only for an
 * adjustment, and never below a zero balance (`billing.negative_balance`, 422). Idempotent by
 * `idempotencyKey` when given (a double-submitted form grants once).
 */
export async function grantCredits(
  payload: Payload,
  input: { accountId: number; credits: number; reason: string; staffUserId: number | null; kind?: 'grant' | 'adjustment'; idempotencyKey?: string },
): Promise<AppendResult> {
  const kind = input.kind ?? 'grant'
  assertStaffEntry(kind, input.credits, input.reason, null)
  return inBillingTransaction(payload, async ({ db }) => {
    await lockAccount(db, input.accountId)
    const balance = await balanceOf(payload, input.accountId, db)
    if (balance + input.credits < 0) throw new AppError('billing.negative_balance', 422, null, { balance, credits: input.credits })
    return appendEntry(
      db,
      { accountId: input.accountId, kind, credits: input.credits, reason: input.reason.trim(), staffUserId: input.staffUserId, idempotencyKey: input.idempotencyKey ?? `manual:${randomUUID()}` },
      balance,
    )
  })
}

/** What a staff-written row must satisfy (also enforced by the collection's hook on REST/GraphQL/admin). */
export function assertStaffEntry(kind: unknown, credits: unknown, reason: unknown, language: string | null): void {
  if (kind !== 'grant' && kind !== 'adjustment') throw new AppError('billing.ledger.staff_kind', 403, language)
  if (typeof reason !== 'string' || reason.trim().length < 3) throw new AppError('billing.ledger.reason_required', 422, language)
  if (typeof credits !== 'number' || !Number.isInteger(credits) || credits === 0) throw new AppError('billing.ledger.credits_invalid', 422, language)
  if (!creditsInBounds(credits)) throw new AppError('billing.ledger.credits_out_of_range', 422, language, { max: MAX_ENTRY_CREDITS })
  if (kind === 'grant' && credits < 0) throw new AppError('billing.ledger.credits_invalid', 422, language)
}
