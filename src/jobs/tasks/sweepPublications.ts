import { z } from 'zod'

import { t } from '../../i18n'
import { markStuckUnconfirmed, overdueQueued } from '../../publishing/publications'
import { defineTask } from '../task'

/** A publish call that has not reported back in this long is taken to have died mid-call. */
export const STUCK_AFTER_MS = 10 * 60_000
const OVERDUE_AFTER_MS = 5 * 60_000

/**
 * Every five minutes: nothing stays silently stuck. Abandoned publishing calls become
 * unconfirmed (checked, never re-sent blindly); queued publications whose job went missing get
 * a publish job again.
 */
export const sweepPublicationsTask = defineTask('publications.sweep', z.object({}).passthrough(), async (_input, { payload, helpers, log }) => {
  const stuck = await markStuckUnconfirmed(payload, STUCK_AFTER_MS, t('en', 'publish.unconfirmed'))
  const overdue = await overdueQueued(payload, OVERDUE_AFTER_MS)
  for (const id of overdue) {
    await helpers.addJob('publication.publish', { publicationId: id }, { jobKey: `publish:${id}`, maxAttempts: 1 })
  }
  if (stuck.length || overdue.length) log.warn({ stuck, overdue }, 'publications swept')
})
