import { Client } from 'pg'

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
      const deadline = Date.now() + 20_000
      for (;;) {
        // This payment's lock only (the run's database is shared): a bigint advisory key's low 32 bits are its objid.
        const { rows } = await client.query(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid::bigint = (hashtext($1)::bigint & 4294967295)",
          [key],
        )
        if (rows[0].n > 0) return
        if (Date.now() > deadline) throw new Error('nobody waited for the payment')
        await new Promise((r) => setImmediate(r))
      }
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
