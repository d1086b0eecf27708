import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'

import type { AiRun } from '../payload-types'

/** Who a model call is made for, and where it belongs: every call is recorded against this. */
export type RunScope = {
  accountId: number
  projectId: number
  articleId?: number
  postId?: number
  /** The worker job (and step), e.g. `article.generate:keyword:12#section-3`. */
  jobKey: string
}

export type RunRecord = {
  task: string
  model: string
  outcome: AiRun['outcome']
  inputTokens?: number
  outputTokens?: number
  costUsd?: number
  latencyMs: number
  error?: string
  prompt?: { id: number; variant: string }
}

/**
 * One ai-runs row per model call, failures included, opened *before* the call as `running` with
 * the prompt's estimated tokens and cost: a call cut short by a crash or a shutdown is still
 * charged against the daily cap. A system write (the worker acts for the account, the collection
 * is closed to everyone else), so it skips access control.
 */
export async function startRun(
  payload: Payload,
  scope: RunScope,
  run: { task: string; model: string; inputTokens: number; costUsd?: number; prompt?: { id: number; variant: string } },
): Promise<number> {
  const row = await payload.create({
    collection: 'ai-runs',
    depth: 0,
    data: {
      task: run.task,
      model: run.model,
      outcome: 'running',
      inputTokens: run.inputTokens,
      outputTokens: 0,
      costUsd: run.costUsd,
      latencyMs: 0,
      promptVariant: run.prompt?.variant,
      prompt: run.prompt?.id,
      account: scope.accountId,
      project: scope.projectId,
      article: scope.articleId,
      post: scope.postId,
      jobKey: scope.jobKey,
    },
  })
  return row.id
}

/** What a running call has spent so far (streamed tokens): one cheap update, no hooks. */
export async function updateRunningRun(payload: Payload, id: number, spent: { outputTokens: number; costUsd?: number; latencyMs: number }) {
  await payload.db.drizzle.execute(sql`
    update ai_runs set output_tokens = ${spent.outputTokens}, cost_usd = coalesce(${spent.costUsd ?? null}::numeric, cost_usd),
           latency_ms = ${Math.round(spent.latencyMs)}, updated_at = now()
     where id = ${id} and outcome = 'running'`)
}

/** Settles a call's row with how it ended and what it really cost. */
export async function finishRun(payload: Payload, id: number, run: RunRecord): Promise<void> {
  await payload.update({
    collection: 'ai-runs',
    id,
    depth: 0,
    data: {
      model: run.model,
      outcome: run.outcome,
      inputTokens: run.inputTokens ?? 0,
      outputTokens: run.outputTokens ?? 0,
      costUsd: run.costUsd,
      latencyMs: Math.round(run.latencyMs),
      error: run.error?.slice(0, 2000),
    },
  })
}

/**
 * Rows left `running` by a process that died: closed as errors, keeping the estimate they were
 * charged with (streamed tokens included). A live call refreshes its row while it streams, and
 * no call outlives AI_TIMEOUT_MS, so `silentMs` beyond both is safe.
 */
export async function settleInterruptedRuns(payload: Payload, silentMs: number): Promise<number> {
  const result = await payload.db.drizzle.execute(sql`
    update ai_runs set outcome = 'error', error = 'interrupted: the worker stopped during the call; charged by its estimate', updated_at = now()
     where outcome = 'running' and updated_at < now() - make_interval(secs => ${silentMs / 1000})
    returning id`)
  return result.rows.length
}
