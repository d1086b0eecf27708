import { Client } from 'pg'

import { waitFor } from './wait'

/** Another transaction (our refund, mid-way) holding the payment as refundPayment does, then recording the refund. */
export async function holdPayment(provider: string, providerPaymentId: string) {
  const client = new Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  await client.query('begin')
  const key = `payment:${provider}:${providerPaymentId}`
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [key])
  return {
    /** Resolves once some other session waits for an advisory lock (the webhook, on this payment). */
    async waiter() {
      // As long as the test may run (on a busy machine the webhook takes its time to get there),
      // looking every 20 ms rather than flat out, which only slowed the webhook it waits for.
      await waitFor(async () => {
        // This payment's lock only (the run's database is shared): a bigint advisory key's low 32 bits are its objid.
        const { rows } = await client.query(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid::bigint = (hashtext($1)::bigint & 4294967295)",
          [key],
        )
        return rows[0].n > 0
      }, undefined, 20)
    },
    async recordRefundAndCommit(paymentId: number, amount: number) {
      await client.query("update payments set status = 'refunded', refunded_amount = $2 where id = $1", [paymentId, amount])
      await client.query('commit')
      await client.end()
    },
    async release() {
      await client.query('rollback').catch(() => {})
      await client.end().catch(() => {})
    },
  }
}
