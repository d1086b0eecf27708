import type pg from 'pg'

import { isSealed, openingKeys, seal, sealedWithCurrentKey, unseal, type SealedSecret } from '../lib/crypto'

export type RotationReport = {
  /** Re-sealed with the current key. */
  rotated: number
  /** Already sealed with the current key: left alone. */
  current: number
  /** Connections whose credentials no configured key opens (ids only): they need a reconnect. */
  unreadable: { id: number; reason: string }[]
}

/**
 * Re-seals every connection's stored credentials with CREDENTIALS_ENCRYPTION_KEY, opening them
 * with that key or CREDENTIALS_ENCRYPTION_PREVIOUS_KEY. Each row is updated only if it still
 * holds the envelope that was read (a customer reconnecting meanwhile wins), in batches, so the
 * product keeps running during a rotation. Run it again until `rotated` is 0; then the previous
 * key can be removed. Nothing secret is returned or logged.
 */
export async function rotateCredentialsKey(pool: pg.Pool, batchSize = 200): Promise<RotationReport> {
  const report: RotationReport = { rotated: 0, current: 0, unreadable: [] }
  const keys = openingKeys()
  let after = 0
  for (;;) {
    const { rows } = await pool.query<{ id: number; credentials: unknown }>(
      'select id, credentials from connections where id > $1 order by id limit $2',
      [after, batchSize],
    )
    if (rows.length === 0) return report
    for (const row of rows) {
      after = row.id
      const stored = row.credentials
      if (!isSealed(stored)) {
        report.unreadable.push({ id: row.id, reason: 'not a sealed envelope' })
        continue
      }
      if (sealedWithCurrentKey(stored)) {
        report.current += 1
        continue
      }
      let plain: unknown
      try {
        plain = unseal(stored, keys)
      } catch (error) {
        report.unreadable.push({ id: row.id, reason: error instanceof Error ? error.message : String(error) })
        continue
      }
      const resealed: SealedSecret = seal(plain)
      const updated = await pool.query('update connections set credentials = $1 where id = $2 and credentials = $3', [
        JSON.stringify(resealed),
        row.id,
        JSON.stringify(stored),
      ])
      if (updated.rowCount === 1) report.rotated += 1
      else report.current += 1 // Changed meanwhile: whatever replaced it was sealed with the current key.
    }
  }
}
