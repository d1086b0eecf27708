import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import { approvalByVariant } from '../ai/variants'
import { heartbeatAge } from '../jobs/heartbeat'
import { countJobs } from '../jobs/inspect'

type Sample = { name: string; help: string; type: 'gauge' | 'counter'; values: { labels?: Record<string, string>; value: number }[] }

function render(samples: Sample[]): string {
  const lines: string[] = []
  for (const s of samples) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`)
    for (const v of s.values) {
      const labels = v.labels
        ? `{${Object.entries(v.labels)
            .map(([k, val]) => `${k}="${val.replace(/["\\\n]/g, '_')}"`)
            .join(',')}}`
        : ''
      lines.push(`${s.name}${labels} ${Number.isFinite(v.value) ? v.value : 0}`)
    }
  }
  return `${lines.join('\n')}\n`
}

async function grouped(payload: Payload, query: ReturnType<typeof sql>) {
  const result = await payload.db.drizzle.execute(query)
  return (result.rows as { key: string; n: number | string }[]).map((r) => ({ key: String(r.key), n: Number(r.n) }))
}

/**
 * Business figures in Prometheus text format, for scraping and alerting. /api/metrics serves them
 * after the process's prom-client registry (src/lib/telemetry/metrics.ts: latencies, updates,
 * jobs, AI calls, publications, the database pool, and Node's own process figures).
 */
export async function collectMetrics(payload: Payload): Promise<string> {
  const [publications, content, runs, jobs, heartbeat, variants] = await Promise.all([
    grouped(payload, sql`select status as key, count(*) as n from publications group by status`),
    grouped(payload, sql`select workflow_status as key, count(*) as n from articles group by workflow_status`),
    payload.db.drizzle.execute(sql`
      select outcome as key, count(*) as n, coalesce(sum(cost_usd), 0) as cost,
             coalesce(sum(input_tokens + output_tokens), 0) as tokens
      from ai_runs where created_at > now() - interval '24 hours' group by outcome`),
    countJobs(payload).catch(() => ({ queued: 0, running: 0, failed: 0 })),
    heartbeatAge().catch(() => null),
    // Which prompt variant's articles staff approve more often (A/B of the section prompt).
    approvalByVariant(payload, 'article.section').catch(() => []),
  ])
  const runRows = runs.rows as { key: string; n: string; cost: string; tokens: string }[]
  return render([
    { name: 'postforge_publications', help: 'Publications by status.', type: 'gauge', values: publications.map((r) => ({ labels: { status: r.key }, value: r.n })) },
    { name: 'postforge_articles', help: 'Articles by workflow status.', type: 'gauge', values: content.map((r) => ({ labels: { status: r.key }, value: r.n })) },
    { name: 'postforge_ai_runs_24h', help: 'Model calls in the last 24 hours by outcome.', type: 'gauge', values: runRows.map((r) => ({ labels: { outcome: r.key }, value: Number(r.n) })) },
    { name: 'postforge_ai_cost_usd_24h', help: 'Model spend in the last 24 hours.', type: 'gauge', values: [{ value: runRows.reduce((sum, r) => sum + Number(r.cost), 0) }] },
    { name: 'postforge_ai_tokens_24h', help: 'Tokens in and out in the last 24 hours.', type: 'gauge', values: [{ value: runRows.reduce((sum, r) => sum + Number(r.tokens), 0) }] },
    { name: 'postforge_prompt_variant_articles', help: 'Generated articles per prompt variant (article.section).', type: 'gauge', values: variants.map((v) => ({ labels: { variant: v.variant }, value: v.items })) },
    { name: 'postforge_prompt_variant_approval_rate', help: 'Share of those articles approved or beyond, per prompt variant.', type: 'gauge', values: variants.map((v) => ({ labels: { variant: v.variant }, value: v.rate })) },
    { name: 'postforge_jobs', help: 'Worker jobs by state.', type: 'gauge', values: Object.entries(jobs).map(([state, n]) => ({ labels: { state }, value: n })) },
    { name: 'postforge_worker_last_job_seconds', help: 'Seconds since the worker last ran its heartbeat job (-1: never).', type: 'gauge', values: [{ value: heartbeat === null ? -1 : heartbeat / 1000 }] },
  ])
}
