import { z } from 'zod'

import { LENGTH_PRESETS } from '../ai/lengths'
import { NoticeJob } from '../notify/events'

/**
 * The contract of every job the worker runs: its task name, its payload (zod; the task parses the
 * same schema, since an old job may carry an old shape), its job key, and how it is queued. The
 * one module the domain imports to describe a job (with `addJob` from ./addJob to queue it);
 * a leaf: zod and small leaf modules only.
 */

const id = z.number().int().positive()

/**
 * How a job key behaves when a job is queued again under it:
 * - `dedupe`: a job waiting or running under the key is kept and reported as already queued (a
 *   double tap queues once); one that failed for good gives up the key to the new job.
 * - `replace`: the waiting job is moved to the new instant and payload (one job per key);
 *   a running one keeps running and the new job waits under the key.
 */
export type KeyMode = 'dedupe' | 'replace'

/** `priority`: lower runs first (graphile-worker's order); 0 unless said. */
export type JobSpec = { maxAttempts: number; keyMode: KeyMode; priority?: number }

type Contract<S extends z.ZodType> = {
  payload: S
  /** The job's key; none means every job stands alone. */
  key: (payload: z.input<S>) => string | undefined
  spec: JobSpec
}

const contract = <S extends z.ZodType>(c: Contract<S>) => c

/** How many publications one sweep looks up at most. */
export const LOOKUP_BATCH = 50

/**
 * Attempts of the publish job, not of the publication: graphile-worker spends one whenever the job
 * is fetched, a worker crash included. Running it again is safe because the row's atomic
 * `queued → publishing` claim, not this count, is what keeps a publication to one post; the
 * publication's own retries of platform failures are counted on the row (MAX_PUBLISH_ATTEMPTS).
 */
export const PUBLISH_JOB_ATTEMPTS = 10

/** How soon a call whose outcome is unknown is looked up: long enough for a slow platform. */
export const LOOKUP_AFTER_MS = 60_000

/**
 * One job key per publication, whoever queues it (the collection's hooks, a retry after a 429, the
 * sweeper): `replace` moves the one job instead of adding a second, and "is a job waiting for this
 * publication?" has one place to look.
 */
export const publishJobKey = (publicationId: number) => `publish:${publicationId}`

export const JOBS = {
  /** After the keyword survey: AI clusters with intent and priority (one per project at a time). */
  'keywords.cluster': contract({
    payload: z.object({ accountId: id, projectId: id }),
    key: (p) => `keywords.cluster:${p.projectId}`,
    spec: { maxAttempts: 5, keyMode: 'dedupe' },
  }),
  'article.generate': contract({
    payload: z.object({
      accountId: id,
      projectId: id,
      keywordId: id,
      lengthPreset: z.enum(LENGTH_PRESETS).optional(),
      /** Rewrite this article (after a change request) instead of starting a new one. */
      articleId: id.optional(),
      /** An article for a cluster: its other keywords, covered as secondary keywords. */
      secondaryKeywordIds: z.array(id).max(20).optional(),
    }),
    key: (p) => (p.articleId ? `article.generate:article:${p.articleId}` : `article.generate:keyword:${p.keywordId}`),
    spec: { maxAttempts: 5, keyMode: 'dedupe' },
  }),
  'post.generate': contract({
    payload: z
      .object({
        accountId: id,
        projectId: id,
        keywordId: id.optional(),
        articleId: id.optional(),
        /** The customer's own image for the post (of the same project): no image is drawn. */
        mediaId: id.optional(),
      })
      .refine((p) => (p.keywordId === undefined) !== (p.articleId === undefined), 'one of keywordId, articleId'),
    key: (p) => (p.articleId ? `post.generate:article:${p.articleId}` : `post.generate:keyword:${p.keywordId}`),
    spec: { maxAttempts: 5, keyMode: 'dedupe' },
  }),
  /** One publication at its instant. */
  'publication.publish': contract({
    payload: z.object({ publicationId: id }),
    key: (p) => publishJobKey(p.publicationId),
    spec: { maxAttempts: PUBLISH_JOB_ATTEMPTS, keyMode: 'replace' },
  }),
  /**
   * Every five minutes, the sweep of stuck, unconfirmed and job-less publications; with
   * `publicationIds`, the read-only lookup of those (one minute after an unknown outcome).
   */
  'publications.sweep': contract({
    payload: z.object({ publicationIds: z.array(id).max(LOOKUP_BATCH).optional() }).passthrough(),
    key: (p) => (p.publicationIds?.length === 1 ? `lookup:${p.publicationIds[0]}` : 'publications.sweep'),
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  /** Every five minutes: schedule slots of the next 48 hours filled with approved content. */
  'schedules.materialize': contract({
    payload: z.object({}).passthrough(),
    key: () => 'schedules.materialize',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  /** Every six hours: Instagram tokens renewed a week before they lapse (src/connections/service.ts). */
  'connections.refreshTokens': contract({
    payload: z.object({}).passthrough(),
    key: () => 'connections.refreshTokens',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  /** Every minute: proof for /api/health that the worker consumes jobs. */
  'worker.heartbeat': contract({
    payload: z.object({}).passthrough(),
    key: () => 'worker.heartbeat',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  /**
   * A notice to a customer in the bot, queued with the write it tells about. No key: each is
   * one occurrence of its event, and the outbox adds it once per committed write. After the
   * publications due now: a burst of notices never holds up publishing at its instant.
   */
  'notice.send': contract({
    payload: NoticeJob,
    key: () => undefined,
    spec: { maxAttempts: 8, keyMode: 'replace', priority: 10 },
  }),
  // Operations (O7): alerts and backups.
  /** Every minute: failure rates, platform outages, AI spend and backups checked; staff alerted once per incident. */
  'alerts.check': contract({
    payload: z.object({}).passthrough(),
    key: () => 'alerts.check',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  /**
   * Every hour: a backup (pg_dump and media) when the last one is BACKUP_INTERVAL_HOURS old;
   * `force` runs one now. One attempt: a failure is recorded and alerted, and the next tick tries again.
   */
  'backup.run': contract({
    payload: z.object({ force: z.boolean().optional() }).passthrough(),
    key: () => 'backup.run',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  // Billing (B2): every hour, ended plan periods and abandoned generation holds (src/billing).
  'billing.sweep': contract({
    payload: z.object({}).passthrough(),
    key: () => 'billing.sweep',
    spec: { maxAttempts: 1, keyMode: 'replace' },
  }),
  // Staff tools (O8): announcements and data exports.
  /**
   * An announcement sent to its segment, paced; one job per broadcast. Resumable: each
   * recipient's delivery row is written before its message, so a run after a crash sends only to
   * those without one. Behind notices and publishing.
   */
  'broadcast.send': contract({
    payload: z.object({ broadcastId: id }),
    key: (p) => `broadcast.send:${p.broadcastId}`,
    spec: { maxAttempts: 25, keyMode: 'dedupe', priority: 20 },
  }),
  /** A customer's data as a JSON file sent to their chat (one at a time per account). */
  'privacy.export': contract({
    payload: z.object({ accountId: id }),
    key: (p) => `privacy.export:${p.accountId}`,
    spec: { maxAttempts: 3, keyMode: 'dedupe' },
  }),
} as const

/**
 * Observability (O6): the W3C traceparent of the trace a job was queued in, added to any job's
 * payload by addJob and continued by the task runner (task.ts); not part of any contract's schema.
 */
export const TRACE_FIELD = 'traceparent'

export type JobName = keyof typeof JOBS
/** What a caller passes when queueing a job of this task. */
export type JobInput<N extends JobName> = z.input<(typeof JOBS)[N]['payload']>
/** What the task receives after parsing. */
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>

export type Enqueued = { jobId: string; alreadyQueued: boolean }

/** A failure that retrying cannot fix (bad payload, missing record): recorded once, not retried. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentJobError'
  }
}
