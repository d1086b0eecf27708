import type { Payload } from 'payload'

import { heldLeases } from '../publishing/limits'
import { pastDue } from '../publishing/publications'
import { listWorkerProcesses, type WorkerProcess } from './liveness'

/** A publication due this long ago with no outcome is late enough for staff to look at. */
const PAST_DUE_AFTER_MS = 10 * 60_000

export type StuckWork = {
  workers: WorkerProcess[]
  pastDue: Awaited<ReturnType<typeof pastDue>>
  pastDueAfterMinutes: number
  leases: (Awaited<ReturnType<typeof heldLeases>>[number] & { holderAlive: boolean })[]
}

/**
 * Where work can get stuck, for the staff jobs view: the worker processes (a dead one's jobs are
 * released by the others within a minute), publications past due without an outcome, and the
 * platform slots held right now (each with whether its holder is still alive).
 */
export async function stuckWork(payload: Payload): Promise<StuckWork> {
  const [workers, late, leases] = await Promise.all([
    listWorkerProcesses(),
    pastDue(payload, PAST_DUE_AFTER_MS),
    heldLeases().catch(() => []),
  ])
  const alive = new Set(workers.filter((w) => w.alive).map((w) => w.id))
  return {
    workers,
    pastDue: late,
    pastDueAfterMinutes: PAST_DUE_AFTER_MS / 60_000,
    leases: leases.map((l) => ({ ...l, holderAlive: alive.has(l.holder) })),
  }
}
