import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { settleInterruptedRuns } from '../ai/runs'
import { t } from '../i18n'
import { env } from '../lib/env'
import { releaseLeasesOf } from '../publishing/limits'
import { notifyUnconfirmed } from '../publishing/unconfirmed'
import { markStuckUnconfirmed } from '../publishing/publications'
import { addJob, inTransaction } from './addJob'
import { LOOKUP_AFTER_MS } from './contracts'
import { renewHeartbeat } from './heartbeat'
import { beatEveryMs, reapDeadWorkers, type WorkerRegistration } from './liveness'

export type Recovered = { processes: string[]; jobs: number; leases: number; unconfirmed: number[]; aiRuns: number }

/**
 * Publications a dead worker had claimed: the call may or may not have reached the platform, so
 * they become unconfirmed with the reason (in English, for staff), the customer is told in their
 * language, and a read-only lookup is queued for a minute later (found: published; otherwise a
 * person decides). Never re-sent.
 */
export async function settleAbandonedPublications(payload: Payload, ids: number[]): Promise<number[]> {
  // The rows and the customers' notices commit together: a notice is never lost nor sent for nothing.
  const marked = await inTransaction(payload, async (req) => {
    const rows = await markStuckUnconfirmed(payload, 0, t('en', 'publish.worker_died'), ids, req)
    for (const id of rows) await notifyUnconfirmed(payload, id, 'publish.worker_died', req)
    return rows
  })
  if (marked.length === 0) return marked
  for (const id of marked) {
    await addJob('publications.sweep', { publicationIds: [id] }, { runAt: new Date(Date.now() + LOOKUP_AFTER_MS) })
  }
  return marked
}

/**
 * One round of crash recovery: dead worker processes are found by their silence in the registry,
 * their jobs released (so they run again now, on a live worker), their publish slots freed,
 * their in-flight publications settled, and model calls they left `running` closed.
 */
export async function recoverDeadWorkers(payload: Payload): Promise<Recovered> {
  const reaped = await reapDeadWorkers()
  const recovered: Recovered = { processes: reaped.processes, jobs: reaped.jobs, leases: 0, unconfirmed: [], aiRuns: 0 }
  if (reaped.processes.length > 0) {
    recovered.leases = await releaseLeasesOf(reaped.processes)
    recovered.unconfirmed = await settleAbandonedPublications(payload, reaped.inFlightPublications)
  }
  // A call's row is refreshed while it streams; one silent for longer than any call may take
  // belongs to a process that died (its estimate stays charged).
  recovered.aiRuns = await settleInterruptedRuns(payload, Math.max(env().WORKER_DEAD_AFTER_MS, env().AI_TIMEOUT_MS) + 60_000)
  return recovered
}

/**
 * The worker's own heartbeat (the registry, and the health key while `running()` says its job
 * runners are up) and recovery rounds, every sixth of WORKER_DEAD_AFTER_MS. Errors
 * (the database restarting) are logged and the next round tries again; nothing here may stop
 * the process.
 */
export function startRecoveryLoop(
  payload: Payload,
  registration: WorkerRegistration,
  log: Logger,
  running: () => boolean,
): { stop: () => Promise<void> } {
  let stopped = false
  let round: Promise<void> = Promise.resolve()
  const tick = async () => {
    try {
      await registration.beat()
      // Health's view of the worker lives only while its job runners do.
      if (running()) await renewHeartbeat().catch((error: Error) => log.warn({ err: error.message }, 'health heartbeat not renewed'))
      const recovered = await recoverDeadWorkers(payload)
      if (recovered.processes.length > 0 || recovered.aiRuns > 0) log.warn(recovered, 'recovered the work of dead workers')
    } catch (error) {
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'worker heartbeat or recovery failed; retrying')
    }
  }
  const timer = setInterval(() => {
    if (!stopped) round = round.then(tick)
  }, beatEveryMs())
  round = tick()
  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await round
    },
  }
}
