import { z } from 'zod'

import { publishOne } from '../../publishing/publish'
import { defineTask } from '../task'

/** `publication.publish` at the publication's instant; a retryable failure re-enqueues itself. */
export const publishTask = defineTask(
  'publication.publish',
  z.object({ publicationId: z.number().int().positive() }),
  async ({ publicationId }, { payload, helpers, log }) => {
    const outcome = await publishOne(payload, publicationId)
    log.info({ publicationId, ...outcome }, 'publish attempt')
    if (outcome.result === 'retry') {
      await helpers.addJob('publication.publish', { publicationId }, { runAt: outcome.runAt, jobKey: `publish:${publicationId}:retry`, jobKeyMode: 'replace', maxAttempts: 1 })
    }
  },
)
