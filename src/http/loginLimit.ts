import { createHash, pbkdf2, randomBytes } from 'node:crypto'

import type { CollectionSlug, Payload } from 'payload'

import { AppError, errorResponse } from './errors'
import { databaseScope, redis } from '../lib/redis'
import { returnToken, takeToken, type Bucket } from '../lib/tokenBucket'

/**
 * Sign-in attempts are limited per client address, per address and email, and per email, in
 * Redis so every web process agrees. This replaces Payload's account lockout, which anyone could
 * trigger against a colleague with ten wrong passwords and which answered "locked" only for
 * emails that exist. One address alone cannot empty an email's bucket: its own share (12 an
 * hour) refills slower than the email's (60 an hour), so only a spread-out attack slows a real
 * person down, and then it answers the same for existing and unknown emails.
 */
export const LOGIN_BUCKETS = {
  address: { capacity: 20, perSecond: 2 / 60 },
  addressEmail: { capacity: 5, perSecond: 12 / 3600 },
  email: { capacity: 50, perSecond: 60 / 3600 },
} satisfies Record<string, Bucket>

/**
 * Failed sign-ins answer no sooner than this after they began: well above the hash's own time
 * (about 300 ms here), so what difference is left hides.
 */
export const FAILED_LOGIN_FLOOR_MS = 600

/**
 * Password-reset requests answer no sooner than this, known email or not: a known one costs a
 * token write and the mail (47 against 11 ms in production), which told which emails exist.
 */
export const FORGOT_PASSWORD_FLOOR_MS = 400

/** Payload 3.90's password hash (generatePasswordSaltHash.js): PBKDF2-SHA256, 600,000 rounds, 32 bytes. */
const PAYLOAD_HASH = { iterations: 600_000, keyLength: 32 }
const DUMMY_SALT = randomBytes(32).toString('hex')

/**
 * Payload checks a password only for an email it knows, which made unknown emails answer
 * hundreds of milliseconds sooner. After a failed sign-in the same hash is computed for an
 * unknown email, and the lookup is made for both, so the two cost the same work.
 */
async function equalizeUnknownEmail(payload: Payload, collection: string, email: unknown): Promise<void> {
  if (typeof email !== 'string' || email === '') return
  const { totalDocs } = await payload.count({
    collection: collection as CollectionSlug,
    where: { email: { equals: email.trim().toLowerCase() } },
    overrideAccess: true,
  })
  if (totalDocs > 0) return
  await new Promise<void>((resolve) => pbkdf2(email, DUMMY_SALT, PAYLOAD_HASH.iterations, PAYLOAD_HASH.keyLength, 'sha256', () => resolve()))
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

function loginBuckets(address: string, email: unknown): Array<[string, Bucket]> {
  const scope = `pf:login:${databaseScope()}`
  const who = digest(typeof email === 'string' ? email.trim().toLowerCase() : '')
  return [
    [`${scope}:addr:${address}`, LOGIN_BUCKETS.address],
    [`${scope}:addr-email:${address}:${who}`, LOGIN_BUCKETS.addressEmail],
    [`${scope}:email:${who}`, LOGIN_BUCKETS.email],
  ]
}

/** Takes one attempt for this address and email; throws a 429 (with the wait) when there is none. */
async function takeLoginAttempt(
  address: string,
  email: unknown,
  language: string,
  code: 'auth.too_many_attempts' | 'auth.too_many_resets' = 'auth.too_many_attempts',
): Promise<void> {
  for (const [key, bucket] of loginBuckets(address, email)) {
    const taken = await takeToken(redis(), key, bucket)
    if (!taken.allowed) throw new LoginThrottled(Math.max(1, Math.ceil(taken.waitMs / 1000)), language, code)
  }
}

/**
 * A sign-in that succeeded gives its attempt back: the limits are for guessing, and staff who sign
 * in many times an hour from one office (several browsers, a shared address) must never meet them.
 * The attempt is still taken first, so guesses running at once cannot pass the limit.
 */
async function giveBackLoginAttempt(address: string, email: unknown): Promise<void> {
  for (const [key, bucket] of loginBuckets(address, email)) await returnToken(redis(), key, bucket).catch(() => {})
}

class LoginThrottled extends AppError {
  constructor(
    public readonly retryAfterSeconds: number,
    language: string,
    code: string,
  ) {
    super(code, 429, language, { seconds: retryAfterSeconds })
  }
}

/** A sign-in (with the auth collection it is for) or a password reset, and the email it names. */
export type AuthAttempt = { reset: boolean; email: unknown; collection?: string }

/**
 * The one path for sign-ins and password resets, REST and GraphQL alike: an attempt from each
 * bucket first, then the request, then the floors, so no answer tells which emails exist.
 */
export async function underLoginLimit<T>(
  payload: Payload,
  address: string,
  attempts: AuthAttempt[],
  language: string,
  startedAt: number,
  run: () => Promise<{ answer: T; failed: boolean }>,
): Promise<T> {
  for (const attempt of attempts) {
    await takeLoginAttempt(address, attempt.email, language, attempt.reset ? 'auth.too_many_resets' : 'auth.too_many_attempts')
  }
  const { answer, failed } = await run()
  if (attempts.some((attempt) => attempt.reset)) await padTo(startedAt, FORGOT_PASSWORD_FLOOR_MS)
  const logins = attempts.filter((attempt) => !attempt.reset)
  if (logins.length > 0 && failed) {
    for (const login of logins) if (login.collection) await equalizeUnknownEmail(payload, login.collection, login.email)
    await padFailedLogin(startedAt)
  } else if (logins.length > 0) {
    for (const login of logins) await giveBackLoginAttempt(address, login.email)
  }
  return answer
}

/** Waits out the rest of the floor for a failed attempt. */
async function padFailedLogin(startedAt: number) {
  await padTo(startedAt, FAILED_LOGIN_FLOOR_MS)
}

/** Waits out the rest of `floorMs` since `startedAt`. */
async function padTo(startedAt: number, floorMs: number) {
  // Timers round down and may fire a little early: wait again until the floor has really passed.
  for (let rest = floorMs - (performance.now() - startedAt); rest > 0; rest = floorMs - (performance.now() - startedAt)) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(rest)))
  }
}

/** The answer to a refused request; a throttled sign-in also waits out the floor and says when to retry. */
export async function refusal(error: AppError, startedAt: number): Promise<Response> {
  if (!(error instanceof LoginThrottled)) return errorResponse(error)
  await padFailedLogin(startedAt)
  return errorResponse(error, { 'Retry-After': String(error.retryAfterSeconds) })
}
