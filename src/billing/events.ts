import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { inBillingTransaction, type BillingTx } from './ledger'
import type { ProviderName } from './providers/types'

export type ProcessOnceResult<T> = { applied: true; outcome: string; value: T } | { applied: false; outcome: string | null; value: null }

/**
 * Applies a provider event once: `fn` runs in the same transaction that records the event's id in
 * `billing-events`, so the event counts as processed exactly when what it did commits. A second
 * delivery (even one arriving at the same moment: it waits on the unique index, then finds the
 * row) applies nothing and answers `applied: false` with the first outcome. When `fn` throws,
 * nothing is recorded and the provider's retry runs it again.
 *
 * `fn` returns the outcome text stored on the event (e.g. `applied`, `ignored: unknown payment`)
 * and a value; pass its `tx` to the use cases (`settlePayment(payload, input, tx)`).
 */
export async function processOnce<T = undefined>(
  payload: Payload,
  event: { provider: ProviderName; eventId: string; type: string },
  fn: (tx: BillingTx) => Promise<{ outcome: string; value?: T } | string>,
): Promise<ProcessOnceResult<T>> {
  return inBillingTransaction(payload, async (tx) => {
    const { rows } = await tx.db.execute(sql`
      insert into billing_events (provider, event_id, type, processed_at, outcome)
      values (${event.provider}, ${event.eventId}, ${event.type.slice(0, 200)}, now(), 'processing')
      on conflict (provider, event_id) do nothing
      returning id`)
    if (rows.length === 0) {
      const seen = await tx.db.execute(sql`select outcome from billing_events where provider = ${event.provider} and event_id = ${event.eventId}`)
      return { applied: false, outcome: (seen.rows[0]?.outcome as string | undefined) ?? null, value: null }
    }
    const result = await fn(tx)
    const { outcome, value } = typeof result === 'string' ? { outcome: result, value: undefined } : result
    await tx.db.execute(sql`update billing_events set outcome = ${outcome.slice(0, 500)}, updated_at = now() where id = ${rows[0]!.id as number}`)
    return { applied: true, outcome, value: value as T }
  })
}
