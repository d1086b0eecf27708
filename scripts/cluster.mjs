#!/usr/bin/env node
/**
 * Several web processes on one port: `WEB_PROCESSES=4 node scripts/cluster.mjs` (or
 * `npm run start:cluster`). Node's cluster module hands incoming connections to the processes in
 * turn, so one machine's cores all serve the admin, the API and the webhook. Nothing a request
 * needs lives in one process's memory (sessions, limits, caches and update de-duplication are in
 * Redis), so any process can take any request.
 *
 * Runs the Next standalone server (`server.js` next to this script's working directory, as in the
 * Docker image) when there is one, otherwise `next start` from node_modules. WEB_PROCESSES defaults
 * to the number of cores. A process that dies is started again (at most once a second); SIGTERM
 * or SIGINT is passed on to every process and the primary exits when they have.
 *
 * The first process starts alone and is asked for /api/health before the others start: Payload
 * applies pending migrations (prodMigrations) when it first connects, without a lock, so only
 * one process may do it.
 */
import cluster from 'node:cluster'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const count = Math.max(1, Number.parseInt(process.env.WEB_PROCESSES ?? '', 10) || os.availableParallelism())
const port = process.env.PORT ?? '3000'
const standalone = path.resolve('server.js')

if (cluster.isPrimary) {
  if (existsSync(standalone)) {
    cluster.setupPrimary({ exec: standalone, args: [] })
  } else {
    const next = createRequire(import.meta.url).resolve('next/dist/bin/next')
    cluster.setupPrimary({ exec: next, args: ['start', '-p', port] })
  }
  let stopping = false
  let lastRestart = 0

  const fork = () => cluster.fork({ PORT: port, WEB_PROCESS_INDEX: String(Object.keys(cluster.workers ?? {}).length) })
  fork()
  // Whichever process listens first (a replacement too, if the first one died starting).
  cluster.once('listening', async () => {
    // Payload connects (and migrates) on the first request that needs it: make it this one.
    const deadline = Date.now() + 180_000
    while (Date.now() < deadline && !stopping) {
      const status = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status, () => 0)
      if (status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    for (let i = 1; i < count; i++) fork()
    process.stdout.write(`postforge: ${count} web processes on port ${port}\n`)
  })
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    process.stderr.write(`postforge: web process ${worker.process.pid} exited (${signal ?? code}); starting another\n`)
    const wait = Math.max(0, lastRestart + 1_000 - Date.now())
    lastRestart = Date.now() + wait
    setTimeout(fork, wait)
  })
  const stop = (signal) => {
    if (stopping) return
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
    setTimeout(() => process.exit(1), 30_000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
