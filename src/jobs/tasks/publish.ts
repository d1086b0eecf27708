import { publishOne } from '../../publishing/publish'
import { addJob } from '../addJob'
import { JOBS, LOOKUP_AFTER_MS } from '../contracts'
import { defineTask } from '../task'

export { LOOKUP_AFTER_MS }

/**
 * `publication.publish` at the publication's instant; a retryable failure (or a full rate or
 * concurrency cap) moves its own job (same key) to the retry instant; an unconfirmed outcome
 * asks the sweeper for a read-only lookup of just that publication a minute later.
 */
export const publishTask = defineTask('publication.publish', JOBS['publication.publish'].payload, async ({ publicationId }, { payload, log, helpers }) => {
  const outcome = await publishOne(payload, publicationId, Date.now(), { claimer: String(helpers.job.id), afterFailedAttempt: helpers.job.attempts > 1 })
  log.info({ publicationId, ...outcome }, 'publish attempt')
  if (outcome.result === 'retry') {
    // The running job holds the key: `replace` detaches it and queues the retry under the key.
    await addJob('publication.publish', { publicationId }, { runAt: outcome.runAt })
  }
  if (outcome.result === 'unconfirmed') {
    await addJob('publications.sweep', { publicationIds: [publicationId] }, { runAt: new Date(Date.now() + LOOKUP_AFTER_MS) })
  }
})
