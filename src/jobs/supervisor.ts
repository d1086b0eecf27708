import { setTimeout as sleep } from 'node:timers/promises'

import type { Runner } from 'graphile-worker'
import type { Logger } from 'pino'

import { releasePool, type WorkerRegistration } from './liveness'

const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 10_000]

/**
 * Keeps one graphile-worker runner going for the life of the process. A runner that stops by
 * itself (it shuts its pool down when PostgreSQL goes away under a job's final write) or cannot
 * start (the database is restarting) is started again with backoff; the jobs its old pool held
 * are released at once rather than after graphile-worker's 4-hour lock. Every pool is entered
 * in the worker registry before it can take a job, so a crash of the process releases them too.
 */
export class SupervisedRunner {
  private current: Runner | undefined
  private stopping = false
  readonly done: Promise<void>

  constructor(
    private readonly name: string,
    private readonly start: (registry: GraphileConfig.Plugin) => Promise<Runner>,
    private readonly registration: WorkerRegistration,
    private readonly log: Logger,
    /**
     * Releases a stopped pool's leftover locks; the worker's also settles the publications it was
     * publishing (their outcome is unknown) in the same transaction (recovery.ts releaseStoppedPool).
     */
    private readonly release: (poolId: string) => Promise<{ jobs: number; publications: number[] }> = releasePool,
  ) {
    this.done = this.loop()
  }

  private async loop() {
    for (let failures = 0; !this.stopping; failures += 1) {
      let poolId: string | undefined
      // graphile-worker awaits `startWorker` before a worker's first fetch: the pool is in the
      // registry (in the database) before it can lock a single job.
      const registry: GraphileConfig.Plugin = {
        name: 'PostforgeWorkerRegistry',
        version: '1.0.0',
        worker: {
          hooks: {
            startWorker: async (_ctx, { worker }) => {
              poolId = worker.workerPool.id
              this.registration.addPool(poolId)
              await this.registration.beat().catch((error: Error) => this.log.warn({ runner: this.name, err: error.message }, 'pool not registered yet'))
            },
          },
        },
      }
      try {
        this.current = await this.start(registry)
        if (this.stopping) await this.current.stop()
        await this.current.promise
        failures = 0
      } catch (error) {
        this.log.error({ runner: this.name, err: error instanceof Error ? error.message : String(error) }, 'job runner failed')
      }
      this.current = undefined
      if (poolId) await this.retire(poolId)
      if (this.stopping) return
      const delay = RESTART_DELAYS_MS[Math.min(failures, RESTART_DELAYS_MS.length - 1)]
      this.log.warn({ runner: this.name, delayMs: delay }, 'job runner stopped by itself; starting it again')
      await sleep(delay)
    }
  }

  /** A stopped pool's leftover locks are released; until that succeeds it stays registered. */
  private async retire(poolId: string) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        // A publish call cut off with its pool may have reached the platform: never re-sent blindly.
        const released = await this.release(poolId)
        if (released.jobs > 0) this.log.warn({ runner: this.name, poolId, ...released }, 'released the jobs of a stopped pool')
        this.registration.removePool(poolId)
        return
      } catch (error) {
        // The database is away: the registry entry keeps the pool, so another worker (or this
        // one, later) can still release it; a stopping process leaves it to them.
        if (this.stopping || attempt >= 5) return
        this.log.warn({ runner: this.name, poolId, err: (error as Error).message }, 'could not release a stopped pool yet')
        await sleep(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)])
      }
    }
  }

  /** A runner is started and not stopping: its pool takes jobs. */
  get running(): boolean {
    return this.current !== undefined && !this.stopping
  }

  /** Graceful: no new jobs; running ones finish (AI calls are aborted after a short grace). */
  async stop() {
    this.stopping = true
    await this.current?.stop().catch(() => undefined)
    await this.done
  }

  /** Forceful: running jobs are failed (and so released) at once. */
  async kill() {
    this.stopping = true
    await this.current?.kill().catch(() => undefined)
  }
}
