import { randomUUID } from 'node:crypto'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { databaseScope, redis } from '../lib/redis'
import { heartbeatAge } from '../jobs/heartbeat'
import { alertsConfigured, type AlertSender, type Finding, reconcile, type Reconciled } from './alerts'
import { WORKER_STALE_MS } from './health'

/** Where each alert's section is; kept here too so the web process loads no checks of the worker's. */
const RUNBOOK = 'Runbook: docs/runbook.md'
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`

/**
 * Who notices that the worker is dead? Not the worker. Every web process starts this watchdog
 * (src/instrumentation.ts); one of them at a time is the leader, elected in Redis with a lease of
 * three intervals that the leader renews, and only the leader checks the worker's heartbeat.
 * Should two believe they lead (a lease lapsing mid-check), the incident store still sends one
 * message: opening and resolving are single Redis commands (src/ops/alerts.ts).
 */

/**
 * The worker is dead or stuck: no live worker process renews the heartbeat (killed, crashed,
 * never started), or none has run the once-a-minute heartbeat job for 3 minutes (its pool hangs,
 * PostgreSQL refuses it). Checked by the web app's watchdog, since a dead worker checks nothing.
 */
export async function workerFindings(now = Date.now()): Promise<Finding[]> {
  const age = await heartbeatAge(now)
  if (age !== null && age < WORKER_STALE_MS) return []
  return [
    {
      kind: 'worker_down',
      subject: 'heartbeat',
      title: 'Worker heartbeat lost: no worker is running jobs.',
      details: [
        age === null
          ? `No live worker process has renewed the heartbeat within WORKER_DEAD_AFTER_MS (${env().WORKER_DEAD_AFTER_MS / 1000} s).`
          : `The last heartbeat job ran ${minutes(age)} ago (expected every minute).`,
        'Publications, AI generation, notices, alerts from the worker and backups are not running.',
        `Check the worker process (npm run worker / the worker container) and GET /api/health?require=worker. ${RUNBOOK}, "Worker down".`,
      ].join('\n'),
      forMs: env().ALERT_WORKER_DOWN_AFTER_MS,
    },
  ]
}

/** Takes the lease when free, renews it when ours; 1 when this process leads. */
const ELECT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`

export type WatchdogTick = { role: 'off' | 'leader' | 'follower'; reconciled?: Reconciled }

export class AlertWatchdog {
  readonly id: string
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor(private readonly options: { id?: string; send?: AlertSender } = {}) {
    this.id = options.id ?? randomUUID()
  }

  private leaseKey() {
    return `pf:${databaseScope()}:alerts:watchdog`
  }

  /** One round: elect, and as the leader look at the worker. */
  async tick(now = Date.now()): Promise<WatchdogTick> {
    if (!alertsConfigured()) return { role: 'off' }
    const leaseMs = env().ALERT_WATCHDOG_INTERVAL_MS * 3
    const leads = (await redis().eval(ELECT, 1, this.leaseKey(), this.id, String(leaseMs))) === 1
    if (!leads) return { role: 'follower' }
    const reconciled = await reconcile(['worker_down'], await workerFindings(now), { now, ...(this.options.send ? { send: this.options.send } : {}) })
    return { role: 'leader', reconciled }
  }

  start() {
    if (this.timer) return
    const log = logger().child({ area: 'alerts', watchdog: this.id })
    this.timer = setInterval(() => {
      if (this.running) return
      this.running = true
      this.tick()
        .catch((error: Error) => log.warn({ err: error.message }, 'alert watchdog round failed'))
        .finally(() => {
          this.running = false
        })
    }, env().ALERT_WATCHDOG_INTERVAL_MS)
    // Never what keeps a process alive.
    this.timer.unref()
  }

  /** Stops, and hands the lease over at once instead of after it lapses. */
  async stop() {
    clearInterval(this.timer)
    this.timer = undefined
    await redis()
      .eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, this.leaseKey(), this.id)
      .catch(() => undefined)
  }
}

const STARTED = Symbol.for('postforge.alertWatchdog')

/**
 * Started once per web process (Next's `register`, which dev's reloads may call again). Off
 * without STAFF_ALERT_CHAT_ID and a bot token; the check itself re-reads that every round.
 */
export function startAlertWatchdog(): AlertWatchdog | null {
  const holder = globalThis as { [STARTED]?: AlertWatchdog }
  if (holder[STARTED]) return holder[STARTED]
  if (!alertsConfigured()) return null
  const watchdog = new AlertWatchdog()
  watchdog.start()
  holder[STARTED] = watchdog
  logger().info({ area: 'alerts' }, 'alert watchdog started: this web process may check the worker heartbeat')
  return watchdog
}
