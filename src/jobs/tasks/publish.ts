import { z } from 'zod'

import { publishOne } from '../../publishing/publish'
import { PUBLISH_TASK, publishJobSpec } from '../publishJob'
import { defineTask } from '../task'

/** How soon a timed-out call is looked up: long enough for a slow platform to finish it. */
export const LOOKUP_AFTER_MS = 60_000

/**
 * `publication.publish` at the publication's instant; a retryable failure (or a full rate or
 * concurrency cap) moves its own job (same key) to the retry instant; an unconfirmed outcome
 * asks the sweeper for a read-only lookup of just that publication a minute later.
 */
export const publishTask = defineTask(
  PUBLISH_TASK,
  z.object({ publicationId: z.number().int().positive() }),
  async ({ publicationId }, { payload, helpers, log }) => {
    const outcome = await publishOne(payload, publicationId)
    log.info({ publicationId, ...outcome }, 'publish attempt')
    if (outcome.result === 'retry') {
      // The running job holds the key: `replace` detaches it and queues the retry under the key.
      await helpers.addJob(PUBLISH_TASK, { publicationId }, publishJobSpec(publicationId, outcome.runAt))
    }
    if (outcome.result === 'unconfirmed') {
      await helpers.addJob(
        'publications.sweep',
        { publicationIds: [publicationId] },
        { runAt: new Date(Date.now() + LOOKUP_AFTER_MS), jobKey: `lookup:${publicationId}`, jobKeyMode: 'replace', maxAttempts: 1 },
      )
    }
  },
)
