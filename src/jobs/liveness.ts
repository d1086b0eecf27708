import { hostname } from 'node:os'

import { sql } from '@payloadcms/db-postgres'
import type { PoolClient } from 'pg'

import { env } from '../lib/env'
import { PROCESS_ID } from '../lib/processId'
import type { DrizzleLike } from './addJob'
import { forceUnlockPools, forceUnlockPoolsIn, workerUtils } from './queue'

/** How often a worker says it is alive: several reports fit in the window that declares it dead. */
export const beatEveryMs = () => Math.max(500, Math.floor(env().WORKER_DEAD_AFTER_MS / 6))

async function withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return (await workerUtils()).withPgClient(fn)
}

/**
 * This process's entry in the registry: the graphile-worker pools it runs (a pool id is what
 * graphile-worker writes into `locked_by` of every job the pool takes). Kept fresh by `beat()`.
 */
export class WorkerRegistration {
  private readonly pools = new Set<string>()

  addPool(poolId: string) {
    this.pools.add(poolId)
  }

  /** A pool that stopped: its jobs are released by `releasePool`, so it leaves the entry. */
  removePool(poolId: string) {
    this.pools.delete(poolId)
  }

  async beat() {
    await withClient((client) =>
      client.query(
        `insert into postforge.worker_processes (id, host, pid, jobs_schema, pool_ids, seen_at)
         values ($1, $2, $3, $4, $5, now())
         on conflict (id) do update set pool_ids = excluded.pool_ids, seen_at = now()`,
        [PROCESS_ID, hostname(), process.pid, env().GRAPHILE_WORKER_SCHEMA, [...this.pools]],
      ),
    )
  }

  async deregister() {
    await withClient((client) => client.query('delete from postforge.worker_processes where id = $1', [PROCESS_ID]))
  }
}

export type Reaped = {
  processes: string[]
  pools: string[]
  /** Jobs the dead pools held, now free for any worker. */
  jobs: number
  /** Publications a dead worker had claimed: mid-call, outcome unknown. */
  inFlightPublications: number[]
}

/**
 * Finds worker processes that stopped reporting (killed, crashed, host gone) and releases what
 * they held, on the caller's transaction: `skip locked` lets every live worker run this at once,
 * each dead entry handled by exactly one of them. Only entries of this queue's schema are
 * touched. The caller settles the in-flight publications in the same transaction, so a reaper
 * that dies (or loses its connection) before it commits leaves the dead entry for the next round
 * instead of having released the jobs while their publications stay `publishing`.
 */
export async function reapDeadWorkers(tx: DrizzleLike, deadAfterMs = env().WORKER_DEAD_AFTER_MS): Promise<Reaped> {
  const dead = await tx.execute(sql`
    select id, pool_ids from postforge.worker_processes
     where jobs_schema = ${env().GRAPHILE_WORKER_SCHEMA} and seen_at < now() - make_interval(secs => ${deadAfterMs / 1000})
     for update skip locked`)
  const rows = dead.rows as { id: string; pool_ids: string[] }[]
  const processes = rows.map((r) => r.id)
  const pools = rows.flatMap((r) => r.pool_ids)
  const released = pools.length > 0 ? await forceUnlockPoolsIn(tx, pools) : { jobs: 0, publications: [] }
  if (processes.length > 0) await tx.execute(sql`delete from postforge.worker_processes where id = any(${sql.param(processes)}::text[])`)
  return { processes, pools, jobs: released.jobs, inFlightPublications: released.publications }
}

/**
 * A pool of this (live) process that stopped by itself, e.g. when PostgreSQL went away under it:
 * the supervisor starts a new pool and releases the old one's jobs at once.
 */
export async function releasePool(poolId: string): Promise<{ jobs: number; publications: number[] }> {
  return withClient(async (client) => {
    await client.query('begin')
    try {
      const released = await forceUnlockPools(client, [poolId])
      await client.query('commit')
      return released
    } catch (error) {
      await client.query('rollback').catch(() => undefined)
      throw error
    }
  })
}

export type WorkerProcess = { id: string; host: string; pid: number; poolIds: string[]; startedAt: string; seenAt: string; alive: boolean }

/** The registry as staff see it: every worker process of this queue, live or presumed dead. */
export async function listWorkerProcesses(): Promise<WorkerProcess[]> {
  const result = await withClient((client) =>
    client.query<{ id: string; host: string; pid: number; pool_ids: string[]; started_at: Date; seen_at: Date; alive: boolean }>(
      `select id, host, pid, pool_ids, started_at, seen_at, seen_at >= now() - make_interval(secs => $2) as alive
         from postforge.worker_processes where jobs_schema = $1 order by started_at`,
      [env().GRAPHILE_WORKER_SCHEMA, env().WORKER_DEAD_AFTER_MS / 1000],
    ),
  )
  return result.rows.map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    poolIds: r.pool_ids,
    startedAt: r.started_at.toISOString(),
    seenAt: r.seen_at.toISOString(),
    alive: r.alive,
  }))
}
