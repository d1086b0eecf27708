import { z } from 'zod'

import { LENGTH_PRESETS } from '../ai/lengths'
import { jobsTable, workerUtils } from './inspect'

const id = z.number().int().positive()

/**
 * The jobs the bot and the admin ask the worker for, with their payload shapes. The tasks parse
 * the same schemas (an old job may still carry an old shape, so they parse, never trust).
 */
export const JobPayloads = {
  'keywords.cluster': z.object({ accountId: id, projectId: id }),
  'article.generate': z.object({
    accountId: id,
    projectId: id,
    keywordId: id,
    lengthPreset: z.enum(LENGTH_PRESETS).optional(),
    /** Rewrite this article (after a change request) instead of starting a new one. */
    articleId: id.optional(),
    /** An article for a cluster: its other keywords, covered as secondary keywords. */
    secondaryKeywordIds: z.array(id).max(20).optional(),
  }),
  'post.generate': z
    .object({ accountId: id, projectId: id, keywordId: id.optional(), articleId: id.optional() })
    .refine(
      (p) => (p.keywordId === undefined) !== (p.articleId === undefined),
      'one of keywordId, articleId',
    ),
} as const

export type JobName = keyof typeof JobPayloads
export type JobPayload<N extends JobName> = z.infer<(typeof JobPayloads)[N]>

export type Enqueued = { jobId: string; alreadyQueued: boolean }

/**
 * Adds a job through the process's shared WorkerUtils pool. With a `jobKey`, a job that is still
 * waiting or running under that key is left alone and reported (a double tap enqueues once); a
 * job under the key that failed for good no longer counts: it gives up the key (it stays in the
 * jobs view with its error) and the customer's retry queues a fresh job.
 */
export async function enqueue<N extends JobName>(
  name: N,
  payload: JobPayload<N>,
  options: { jobKey?: string; runAt?: Date; maxAttempts?: number } = {},
): Promise<Enqueued> {
  const parsed = JobPayloads[name].parse(payload)
  const utils = await workerUtils()
  if (options.jobKey) {
    const existing = await queuedJobId(options.jobKey)
    if (existing) return { jobId: existing, alreadyQueued: true }
    await releaseFailedKey(options.jobKey)
  }
  const job = await utils.addJob(name as string, parsed, {
    jobKey: options.jobKey,
    // A key that appeared between the check and the insert still wins: never a second job.
    jobKeyMode: options.jobKey ? 'unsafe_dedupe' : undefined,
    runAt: options.runAt,
    maxAttempts: options.maxAttempts ?? 5,
  })
  return { jobId: String(job.id), alreadyQueued: false }
}

/**
 * The id of the job waiting or running under `jobKey`, if there is one. A job that used up its
 * attempts is not waiting for anything. (One held by a dead worker is released by the crash
 * recovery within a minute and then runs again, so it counts as waiting.)
 */
export async function queuedJobId(jobKey: string): Promise<string | null> {
  const utils = await workerUtils()
  const result = await utils.withPgClient((client) =>
    client.query<{ id: string }>(
      `select id::text from ${jobsTable('jobs')} where key = $1 and (locked_at is not null or attempts < max_attempts)`,
      [jobKey],
    ),
  )
  return result.rows[0]?.id ?? null
}

/** A job that failed for good gives up its key (keeping its row and error for staff). */
async function releaseFailedKey(jobKey: string) {
  const utils = await workerUtils()
  await utils.withPgClient((client) =>
    client.query(`update ${jobsTable('_private_jobs')} set key = null where key = $1 and locked_at is null and attempts >= max_attempts`, [jobKey]),
  )
}
