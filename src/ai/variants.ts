import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { PUBLISHABLE_STATUSES } from '../workflow/transitions'

export type VariantApproval = { variant: string; items: number; approved: number; rate: number }

/**
 * Approval rate per prompt variant of a task: of the articles (or posts) a variant helped write,
 * how many reviewers approved (and are still approved: a publishable status). Compares A/B prompt
 * variants on what matters, not on tokens.
 */
export async function approvalByVariant(payload: Payload, task: string, collection: 'articles' | 'posts' = 'articles'): Promise<VariantApproval[]> {
  const join = collection === 'articles' ? sql`join articles c on c.id = r.article_id` : sql`join posts c on c.id = r.post_id`
  const result = await payload.db.drizzle.execute(sql`
    select r.prompt_variant as variant,
           count(distinct c.id)::int as items,
           count(distinct c.id) filter (where c.workflow_status::text in (${sql.join(PUBLISHABLE_STATUSES.map((s) => sql`${s}`), sql`, `)}))::int as approved
    from ai_runs r ${join}
    where r.task = ${task} and r.outcome = 'ok' and r.prompt_variant is not null
    group by r.prompt_variant order by r.prompt_variant`)
  return (result.rows as { variant: string; items: number; approved: number }[]).map((row) => ({
    variant: row.variant,
    items: Number(row.items),
    approved: Number(row.approved),
    rate: Number(row.items) === 0 ? 0 : Math.round((Number(row.approved) / Number(row.items)) * 1000) / 1000,
  }))
}
