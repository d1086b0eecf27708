import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import type { Account } from '../payload-types'

export type ProjectPage = {
  docs: Array<{ id: number; name: string }>
  totalDocs: number
  totalPages: number
  page: number
}

/**
 * One page of an account's projects for the bot's list (id and name, newest change first), as
 * one indexed query (projects_account_idx) with the total beside each row. The list is opened
 * on every few updates; Payload's find would add its access evaluation, a count query and its
 * relational query builder for two columns.
 *
 * It reads exactly what the projects collection's read access lets the account see
 * (src/access/tenant.ts ownRowsOr: rows whose account is the account, nothing for a blocked
 * one), and the collection has no read hooks or field read rules on these columns. Writes and
 * single-project reads still go through Payload as the account (src/projects/service.ts).
 */
export async function projectPage(payload: Payload, account: Account, page: number, limit: number): Promise<ProjectPage> {
  if (account.status === 'blocked') return { docs: [], totalDocs: 0, totalPages: 0, page }
  const { rows } = await payload.db.drizzle.execute(sql`
    select id, name, count(*) over () as total from projects
    where account_id = ${account.id}
    order by updated_at desc, id desc
    limit ${limit} offset ${(page - 1) * limit}`)
  let totalDocs = rows.length ? Number((rows[0] as { total: string | number }).total) : 0
  // A page past the end has no rows to carry the total.
  if (!rows.length && page > 1) {
    const counted = await payload.db.drizzle.execute(sql`select count(*) as total from projects where account_id = ${account.id}`)
    totalDocs = Number((counted.rows[0] as { total: string | number }).total)
  }
  return {
    docs: rows.map((row) => ({ id: Number((row as { id: unknown }).id), name: String((row as { name: unknown }).name) })),
    totalDocs,
    totalPages: Math.ceil(totalDocs / limit),
    page,
  }
}
