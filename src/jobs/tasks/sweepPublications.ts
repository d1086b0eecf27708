import { t } from '../../i18n'
import { CONNECTORS } from '../../publishing/connectors'
import { resolveUnconfirmed, type LookupOutcome } from '../../publishing/lookup'
import { notifyUnconfirmed } from '../../publishing/unconfirmed'
import { markStuckUnconfirmed, overdueQueued, recentUnconfirmed } from '../../publishing/publications'
import { addJob, inTransaction, queuedJobId } from '../addJob'
import { JOBS, LOOKUP_BATCH, publishJobKey } from '../contracts'
import { defineTask } from '../task'

/**
 * A publish call that has not reported back in this long is taken to have died mid-call. The
 * crash recovery (`reapDeadWorkers`) settles calls of dead workers within a minute; this is the
 * backstop for what it cannot see (e.g. a worker that lost its row's final write).
 */
export const STUCK_AFTER_MS = 10 * 60_000
const OVERDUE_AFTER_MS = 5 * 60_000
/** Unconfirmed publications are looked up for two days; after that a person has to decide. */
const LOOKUP_WITHIN_MS = 48 * 3600_000

/**
 * Every five minutes: nothing stays silently stuck. Abandoned publishing calls become
 * unconfirmed; unconfirmed ones are looked up read-only on their platform (found: published
 * with the remote id; otherwise left for a person, never re-sent); queued publications whose
 * job went missing (or used up its attempts) get their job again; one that waits for a retry
 * instant under the publication's key is left alone. `publicationIds` narrows a run to the lookup of
 * those (the publish job asks for one shortly after a timeout).
 */
export const sweepPublicationsTask = defineTask(
  'publications.sweep',
  JOBS['publications.sweep'].payload,
  async ({ publicationIds }, { payload, log }) => {
    const looked: Partial<Record<LookupOutcome, number[]>> = {}
    const lookUp = async (ids: number[]) => {
      for (const id of ids) (looked[await resolveUnconfirmed(payload, id)] ??= []).push(id)
    }
    if (publicationIds) {
      await lookUp(publicationIds)
      log.info({ looked }, 'unconfirmed publications looked up')
      return
    }
    // The rows and the customers' notices commit together.
    const stuck = await inTransaction(payload, async (req) => {
      const rows = await markStuckUnconfirmed(payload, STUCK_AFTER_MS, t('en', 'publish.worker_died'), undefined, req)
      for (const id of rows) await notifyUnconfirmed(payload, id, 'publish.worker_died', req)
      return rows
    })
    const searchable = Object.values(CONNECTORS).flatMap((c) => (c?.lookup ? [c.platform] : []))
    await lookUp(await recentUnconfirmed(payload, LOOKUP_WITHIN_MS, LOOKUP_BATCH, searchable))
    // A job waiting under the publication's key (a retry instant) or running it can still run it.
    const overdue: number[] = []
    for (const id of await overdueQueued(payload, OVERDUE_AFTER_MS)) {
      if (await queuedJobId(publishJobKey(id))) continue
      await addJob('publication.publish', { publicationId: id })
      overdue.push(id)
    }
    if (stuck.length || overdue.length || looked.found?.length) log.warn({ stuck, overdue, found: looked.found ?? [] }, 'publications swept')
  },
)
