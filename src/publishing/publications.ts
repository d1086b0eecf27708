import { sql } from '@payloadcms/db-postgres'
import type { Payload, PayloadRequest } from 'payload'

import { transactionOf, type DrizzleLike, type JobTransaction } from '../jobs/addJob'
import type { Publication } from '../payload-types'
import { SYSTEM_CONTEXT } from '../workflow/hooks'

type Status = Publication['status']

/**
 * Takes a queued publication for this worker, atomically: of two workers (or a retried job)
 * exactly one gets it. Anything not `queued` (publishing, published, unconfirmed...) is left
 * alone, which is what stops a blind re-send after a crash.
 */
export async function claimPublication(payload: Payload, id: number, claimer?: string): Promise<boolean> {
  const result = await payload.db.drizzle.execute(sql`
    update publications
       set status = 'publishing', attempts = coalesce(attempts, 0) + 1, updated_at = now()
     where id = ${id} and status = 'queued'
    returning id`)
  if (result.rows.length === 0) return false
  await appendHistory(payload, id, 'publishing', claimer ? claimNote(claimer) : undefined)
  return true
}

/** The history note of a claim made by a job: whose claim a `publishing` row is. */
export const claimNote = (claimer: string) => `claimed by job ${claimer}`

/** Whether the row's current `publishing` claim was made by `claimer` (its latest history entry of that status). */
export function claimedBy(publication: Pick<Publication, 'history'>, claimer: string): boolean {
  const claim = [...(publication.history ?? [])].reverse().find((entry) => entry.status === 'publishing')
  return claim?.message === claimNote(claimer)
}

export type Settlement =
  | { status: 'published'; remoteId: string; remoteUrl?: string | null; message?: string }
  | { status: 'queued'; message: string }
  | { status: 'failed' | 'unconfirmed' | 'cancelled'; message: string }

/** Records how a publish attempt ended, with the history entry and the customer-facing reason. */
export async function settlePublication(payload: Payload, id: number, outcome: Settlement, req?: JobTransaction): Promise<Publication> {
  const current = await payload.findByID({ collection: 'publications', id, depth: 0, overrideAccess: true, req: req as PayloadRequest | undefined })
  const history = [...(current.history ?? []), { at: new Date().toISOString(), status: outcome.status, message: outcome.message ?? null }]
  return payload.update({
    collection: 'publications',
    id,
    overrideAccess: true,
    context: SYSTEM_CONTEXT,
    req: req as PayloadRequest | undefined,
    data: {
      status: outcome.status,
      history,
      ...(outcome.status === 'published'
        ? { remoteId: outcome.remoteId, remoteUrl: outcome.remoteUrl ?? null, lastError: null }
        : { lastError: outcome.message }),
    },
  })
}

async function appendHistory(payload: Payload, id: number, status: Status, message?: string, req?: JobTransaction) {
  const current = await payload.findByID({ collection: 'publications', id, depth: 0, overrideAccess: true, req: req as PayloadRequest | undefined })
  await payload.update({
    collection: 'publications',
    id,
    overrideAccess: true,
    context: SYSTEM_CONTEXT,
    req: req as PayloadRequest | undefined,
    data: { history: [...(current.history ?? []), { at: new Date().toISOString(), status, message: message ?? null }] },
  })
}

/**
 * Publications left `publishing` longer than `staleMs` (or exactly `only`, which the crash
 * recovery knows to be abandoned) belong to a worker that died mid-call: their outcome is
 * unknown, so they become `unconfirmed` with the reason for staff (never re-queued blindly).
 */
export async function markStuckUnconfirmed(payload: Payload, staleMs: number, message: string, only?: number[], req?: JobTransaction): Promise<number[]> {
  if (only?.length === 0) return []
  // Given the caller's transaction (`req`), the rows change with whatever else it writes (the notices).
  const db = (await transactionOf(req)) ?? payload.db.drizzle
  const result = await db.execute(sql`
    update publications set status = 'unconfirmed', last_error = ${message}, updated_at = now()
     where status = 'publishing' and updated_at <= now() - make_interval(secs => ${staleMs / 1000})
       ${only ? sql`and id in (${sql.join(only.map((id) => sql`${id}`), sql`, `)})` : sql``}
    returning id`)
  const ids = (result.rows as { id: number }[]).map((r) => Number(r.id))
  for (const id of ids) await appendHistory(payload, id, 'unconfirmed', message, req)
  return ids
}

/**
 * Queued publications whose instant passed long ago (oldest first): candidates for a missing
 * publish job. Whether a job can still run them is the queue's business (the sweeper asks it).
 */
export async function overdueQueued(payload: Payload, graceMs: number, limit = 500): Promise<number[]> {
  const result = await payload.db.drizzle.execute(sql`
    select p.id from publications p
     where p.status = 'queued' and p.planned_at < now() - make_interval(secs => ${graceMs / 1000})
     order by p.planned_at limit ${limit}`)
  return (result.rows as { id: number }[]).map((r) => Number(r.id))
}

/** Queued publications whose instant passed more than `graceMs` ago: the staff view of late work. */
export async function pastDue(payload: Payload, graceMs: number, limit = 50): Promise<{ id: number; plannedAt: string; status: string; lastError: string | null }[]> {
  const result = await payload.db.drizzle.execute(sql`
    select id, planned_at, status, last_error from publications
     where status in ('queued', 'publishing') and planned_at < now() - make_interval(secs => ${graceMs / 1000})
     order by planned_at limit ${limit}`)
  return (result.rows as { id: number; planned_at: string; status: string; last_error: string | null }[]).map((r) => ({
    id: Number(r.id),
    plannedAt: new Date(r.planned_at).toISOString(),
    status: r.status,
    lastError: r.last_error ?? null,
  }))
}

/**
 * An unconfirmed publication found on the platform by a read-only lookup becomes published with
 * the remote id, atomically: only a row still `unconfirmed` changes (a person may have settled
 * it meanwhile), and only with a post no other publication of the connection holds.
 */
export async function confirmFound(
  payload: Payload,
  id: number,
  found: { remoteId: string; remoteUrl: string | null },
  message: string,
  req?: JobTransaction,
): Promise<boolean> {
  // Two lookups may find the same post for two publications at once: the lock on the remote id
  // makes the second one's check see the first one's committed claim.
  const confirm = async (tx: DrizzleLike) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('publication-remote:' || ${found.remoteId}))`)
    const result = await tx.execute(sql`
      update publications
         set status = 'published', remote_id = ${found.remoteId}, remote_url = ${found.remoteUrl}, last_error = null, updated_at = now()
       where id = ${id} and status = 'unconfirmed'
         and not exists (
           select 1 from publications other
            where other.connection_id = publications.connection_id and other.id <> ${id} and other.remote_id = ${found.remoteId})
      returning id`)
    return result.rows
  }
  // Given the caller's transaction (its notice joins it too), the claim is part of it.
  const open = await transactionOf(req)
  const rows = open ? await confirm(open) : await payload.db.drizzle.transaction(async (tx) => confirm(tx))
  if (rows.length === 0) return false
  await appendHistory(payload, id, 'published', message, req)
  return true
}

/** Unconfirmed publications on these platforms recent enough to be worth a lookup, oldest first. */
export async function recentUnconfirmed(payload: Payload, withinMs: number, limit: number, platforms: string[]): Promise<number[]> {
  if (platforms.length === 0) return []
  const result = await payload.db.drizzle.execute(sql`
    select p.id from publications p join connections c on c.id = p.connection_id
     where p.status = 'unconfirmed' and p.updated_at > now() - make_interval(secs => ${withinMs / 1000})
       and c.platform::text in (${sql.join(platforms.map((platform) => sql`${platform}`), sql`, `)})
     order by p.updated_at limit ${limit}`)
  return (result.rows as { id: number }[]).map((r) => Number(r.id))
}
