import { randomBytes } from 'node:crypto'

import type { Redis } from 'ioredis'
import { z } from 'zod'

import { JOBS, type JobPayload } from '../jobs/contracts'
import { databaseScope, redis } from '../lib/redis'

/** Jobs whose failure message carries "Try again". */
export const RETRYABLE = ['article.generate', 'post.generate', 'keywords.cluster'] as const
export type RetryTask = (typeof RETRYABLE)[number]

/** How long a failure's "Try again" button works. */
export const RETRY_TTL_S = 7 * 24 * 3600

/** The button's token: 16 URL-safe characters (callback data holds at most 64 bytes). */
export const RetryToken = z.string().regex(/^[A-Za-z0-9_-]{16}$/)

export type FailedJob = { [N in RetryTask]: { accountId: number; task: N; payload: JobPayload<N> } }[RetryTask]

const Stored = z.object({ accountId: z.number().int().positive(), task: z.enum(RETRYABLE), payload: z.unknown() })

const keyOf = (token: string) => `pf:${databaseScope()}:retry:${token}`

const isRetryable = (task: string): task is RetryTask => (RETRYABLE as readonly string[]).includes(task)

/**
 * Keeps a failed job's task and payload (as its contract reads it) under a random token for the
 * failure message's button; the account it was queued for is kept too, to refuse anyone else.
 * Null when the task has no retry or the payload no longer fits its contract.
 */
export async function rememberFailedJob(accountId: number, task: string, rawPayload: unknown): Promise<string | null> {
  if (!isRetryable(task)) return null
  const parsed = JOBS[task].payload.safeParse(rawPayload)
  if (!parsed.success) return null
  const token = randomBytes(12).toString('base64url')
  await redis().set(keyOf(token), JSON.stringify({ accountId, task, payload: parsed.data }), 'EX', RETRY_TTL_S)
  return token
}

/** What a token's key holds once its retry was ordered (until the key expires). */
const USED = 'used'

/**
 * Takes the token for its owner in one step: a token of another account stays as it was; the
 * owner's is replaced by a "used" mark, so of two presses at once (or a press after the retry ran)
 * only one gets the job.
 */
const CLAIM = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'gone'} end
if raw == '${USED}' then return {'used'} end
local ok, stored = pcall(cjson.decode, raw)
if not ok or type(stored) ~= 'table' then return {'gone'} end
if tonumber(stored.accountId) ~= tonumber(ARGV[1]) then return {'foreign', raw} end
redis.call('SET', KEYS[1], '${USED}', 'KEEPTTL')
return {'claimed', raw}
`

export type RetryClaim =
  | { status: 'claimed'; job: FailedJob; release: () => Promise<void> }
  | { status: 'foreign'; job: FailedJob }
  | { status: 'used' }
  | { status: 'gone' }

/**
 * Claims a "Try again" token for `accountId`: the token works once. `release` puts it back when
 * ordering the retry failed before anything was queued.
 */
export async function claimFailedJob(client: Redis, token: string, accountId: number): Promise<RetryClaim> {
  const key = keyOf(token)
  const [status, raw] = (await client.eval(CLAIM, 1, key, String(accountId))) as [string, string | undefined]
  if (status === 'used') return { status: 'used' }
  const job = raw ? parseStored(raw) : null
  if (!job) return { status: 'gone' }
  if (status === 'foreign') return { status: 'foreign', job }
  if (status !== 'claimed') return { status: 'gone' }
  return { status: 'claimed', job, release: async () => void (await client.set(key, raw!, 'KEEPTTL')) }
}

function parseStored(raw: string): FailedJob | null {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return null
  }
  const stored = Stored.safeParse(json)
  if (!stored.success) return null
  const payload = JOBS[stored.data.task].payload.safeParse(stored.data.payload)
  if (!payload.success) return null
  return { accountId: stored.data.accountId, task: stored.data.task, payload: payload.data } as FailedJob
}
