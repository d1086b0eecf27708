import { randomBytes } from 'node:crypto'

import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

/**
 * Gives a claimed publication its marker before the first call to the platform: random, so a
 * staging copy, a recreated database or another installation publishing to the same site never
 * recognises our post as theirs (database ids repeat across installations, random markers do
 * not). Set once and kept for retries, as are the instant of the first call and the platform's
 * own de-duplication that rides on the marker (VK's guid). Null when the row is no longer ours
 * to send (settled meanwhile): then nothing may be sent.
 */
export async function stampMarker(payload: Payload, id: number): Promise<{ marker: string; sentAt: string } | null> {
  const fresh = `${id}-${randomBytes(8).toString('hex')}`
  const result = await payload.db.drizzle.execute(sql`
    update publications set marker = coalesce(marker, ${fresh}), sent_at = coalesce(sent_at, now())
     where id = ${id} and status = 'publishing'
    returning marker, sent_at`)
  const row = result.rows[0] as { marker: string; sent_at: string | Date } | undefined
  return row ? { marker: row.marker, sentAt: new Date(row.sent_at).toISOString() } : null
}
