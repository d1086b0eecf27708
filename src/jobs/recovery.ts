import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { settleInterruptedRuns } from '../ai/runs'
import { env } from '../lib/env'
import { releaseLeasesOf } from '../publishing/limits'
import { settleAbandonedPublications } from '../publishing/unconfirmed'
import { inTransaction, transactionOf, type DrizzleLike } from './addJob'
import { renewHeartbeat } from './heartbeat'
import { beatEveryMs, reapDeadWorkers, type WorkerRegistration } from './liveness'
import { forceUnlockPoolsIn } from './queue'

export type Recovered = { processes: string[]; jobs: number; leases: number; unconfirmed: number[]; aiRuns: number }

/**
 * A pool of this (live) process that stopped by itself (PostgreSQL went away under it): its
 * leftover locks are released and the publications it was publishing settled in one transaction,
 * so a failure half-way (the database still away) leaves both for the supervisor's next try.
 */
export async function releaseStoppedPool(payload: Payload, poolId: string): Promise<{ jobs: number; publications: number[]; unconfirmed: number[] }> {
  return inTransaction(payload, async (req) => {
    const tx = (await transactionOf(req)) ?? (payload.db.drizzle as unknown as DrizzleLike)
    const released = await forceUnlockPoolsIn(tx, [poolId])
    const unconfirmed = await settleAbandonedPublications(payload, released.publications, 'publish.worker_died', req)
    return { ...released, unconfirmed }
  })
}

/**
 * One round of crash recovery: dead worker processes are found by their silence in the registry,
 * their jobs released (so they run again now, on a live worker), their publish slots freed,
 * their in-flight publications settled, and model calls they left `running` closed. The registry
 * entry, the jobs' release and the publications' settlement are one transaction: a reaper killed
 * or cut off from PostgreSQL half-way leaves the dead entry for the next round (of any worker),
 * never publications `publishing` that nobody will look at again.
 */
export async function recoverDeadWorkers(payload: Payload): Promise<Recovered> {
  const recovered = await inTransaction(payload, async (req): Promise<Recovered> => {
    const tx = (await transactionOf(req)) ?? (payload.db.drizzle as unknown as DrizzleLike)
    const reaped = await reapDeadWorkers(tx)
    const round: Recovered = { processes: reaped.processes, jobs: reaped.jobs, leases: 0, unconfirmed: [], aiRuns: 0 }
    if (reaped.processes.length === 0) return round
    round.unconfirmed = await settleAbandonedPublications(payload, reaped.inFlightPublications, 'publish.worker_died', req)
    // Freed before the commit: a slot freed twice (the round rolled back and ran again) is harmless.
    round.leases = await releaseLeasesOf(reaped.processes)
    return round
  })
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
