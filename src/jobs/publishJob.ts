import type { TaskSpec } from 'graphile-worker'

export const PUBLISH_TASK = 'publication.publish'

/**
 * One job key per publication, whoever queues it (the materialiser, a retry after a 429, the
 * customer's "publish again", the sweeper): `replace` moves the one job instead of adding a
 * second, and "is a job waiting for this publication?" has one place to look.
 */
export const publishJobKey = (publicationId: number) => `publish:${publicationId}`

/**
 * Attempts of the job, not of the publication: graphile-worker spends one whenever the job is
 * fetched, a worker crash included. Running it again is safe because the row's atomic
 * `queued → publishing` claim, not this count, is what keeps a publication to one post; the
 * publication's own retries of platform failures are counted on the row (MAX_PUBLISH_ATTEMPTS).
 */
export const PUBLISH_JOB_ATTEMPTS = 10

export function publishJobSpec(publicationId: number, runAt?: Date): TaskSpec {
  return { jobKey: publishJobKey(publicationId), jobKeyMode: 'replace', runAt, maxAttempts: PUBLISH_JOB_ATTEMPTS }
}
