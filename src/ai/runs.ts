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
 * One ai-runs row per model call, failures included. A system write (the worker acts for the
 * account, the collection is closed to everyone else), so it skips access control.
 */
export async function recordRun(payload: Payload, scope: RunScope, run: RunRecord): Promise<void> {
  await payload.create({
    collection: 'ai-runs',
    depth: 0,
    data: {
      task: run.task,
      model: run.model,
      outcome: run.outcome,
      inputTokens: run.inputTokens ?? 0,
      outputTokens: run.outputTokens ?? 0,
      costUsd: run.costUsd,
      latencyMs: Math.round(run.latencyMs),
      error: run.error?.slice(0, 2000),
      promptVariant: run.prompt?.variant,
      prompt: run.prompt?.id,
      account: scope.accountId,
      project: scope.projectId,
      article: scope.articleId,
      post: scope.postId,
      jobKey: scope.jobKey,
    },
  })
}
