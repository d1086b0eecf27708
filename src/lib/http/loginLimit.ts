import { createHash } from 'node:crypto'

import { AppError, errorResponse } from '../errors'
import { databaseScope, redis } from '../redis'
import { takeToken, type Bucket } from '../tokenBucket'

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

/** Failed sign-ins answer no sooner than this, so an unknown email (no hash to check) looks the same. */
export const FAILED_LOGIN_FLOOR_MS = 400

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

/** Takes one attempt for this address and email; throws a 429 (with the wait) when there is none. */
export async function takeLoginAttempt(address: string, email: unknown, language: string): Promise<void> {
  const scope = `pf:login:${databaseScope()}`
  const who = digest(typeof email === 'string' ? email.trim().toLowerCase() : '')
  const checks: Array<[string, Bucket]> = [
    [`${scope}:addr:${address}`, LOGIN_BUCKETS.address],
    [`${scope}:addr-email:${address}:${who}`, LOGIN_BUCKETS.addressEmail],
    [`${scope}:email:${who}`, LOGIN_BUCKETS.email],
  ]
  for (const [key, bucket] of checks) {
    const taken = await takeToken(redis(), key, bucket)
    if (!taken.allowed) throw new LoginThrottled(Math.max(1, Math.ceil(taken.waitMs / 1000)), language)
  }
}

class LoginThrottled extends AppError {
  constructor(
    public readonly retryAfterSeconds: number,
    language: string,
  ) {
    super('auth.too_many_attempts', 429, language, { seconds: retryAfterSeconds })
  }
}

/** Waits out the rest of the floor for a failed attempt. */
export async function padFailedLogin(startedAt: number) {
  const rest = FAILED_LOGIN_FLOOR_MS - (performance.now() - startedAt)
  if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest))
}

/** The answer to a refused request; a throttled sign-in also waits out the floor and says when to retry. */
export async function refusal(error: AppError, startedAt: number): Promise<Response> {
  if (!(error instanceof LoginThrottled)) return errorResponse(error)
  await padFailedLogin(startedAt)
  return errorResponse(error, { 'Retry-After': String(error.retryAfterSeconds) })
}
