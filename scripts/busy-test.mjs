#!/usr/bin/env node
/**
 * `node scripts/busy-test.mjs [--hogs N] <test files and other vitest arguments>`: runs vitest on
 * the given files while N CPU hogs (default: the number of cores + 1) keep every core busy, as
 * CI's 2-core machine is when a build, another suite or a benchmark runs beside the tests. A test
 * that waits a fixed time, or holds CPU-bound work to a wall-clock limit tighter than its own
 * timeout, fails or flakes here; one that waits on events passes, only slower.
 *
 * The hogs are this script's children: stopped when it ends however it ends, and each one also
 * stops by itself once this script is gone or after an hour.
 */
import { spawn } from 'node:child_process'
import os from 'node:os'

import { log, run } from './lib.mjs'

const args = process.argv.slice(2)
let hogs = os.availableParallelism() + 1
const flag = args.indexOf('--hogs')
if (flag >= 0) {
  hogs = Number(args[flag + 1])
  args.splice(flag, 2)
}
if (args.length === 0 || !Number.isInteger(hogs) || hogs < 0) {
  process.stderr.write('usage: node scripts/busy-test.mjs [--hogs N] tests/int/<file>.int.spec.ts ...\n')
  process.exit(2)
}

// A busy loop that looks up now and then whether its parent is still there.
const HOG = `
const parent = Number(process.argv[1]), end = Date.now() + 3_600_000
for (let i = 0; ; i++) {
  if ((i & 0xfffff) === 0) {
    if (Date.now() > end) process.exit(0)
    try { process.kill(parent, 0) } catch { process.exit(0) }
  }
}`
const children = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', HOG, String(process.pid)], { stdio: 'ignore' }))
const stop = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}
process.on('exit', stop)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stop()
    process.exit(130)
  })
}

log(`${hogs} CPU hogs (pids ${children.map((c) => c.pid).join(', ')}) on ${os.availableParallelism()} cores; load average ${os.loadavg()[0].toFixed(1)}`)
const started = Date.now()
let code = 0
try {
  await run('vitest', ['run', ...args])
} catch {
  code = 1
}
const load = os.loadavg()[0].toFixed(1)
stop()
log(`under ${hogs} CPU hogs (load average ${load}): ${code === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`)
process.exit(code)
