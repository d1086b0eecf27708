#!/usr/bin/env node
/**
 * `npm run dev`: the whole product on one machine. Without DATABASE_URL it starts an embedded
 * PostgreSQL in .data/postgres; then it migrates, creates the first admin and demo content, and
 * serves http://localhost:3000/admin with the worker and the bot (when their entries exist).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'

import { ensureLocalSecrets, loadEnvFiles, log, root, run, start, startEmbeddedPostgres } from './lib.mjs'

loadEnvFiles()
ensureLocalSecrets()

const production = process.argv.includes('--prod')
// Readable log lines in the terminal while developing; JSON (for a log collector) with --prod.
if (!production) process.env.LOG_FORMAT ??= 'pretty'

let embedded
if (!process.env.DATABASE_URL) {
  try {
    embedded = await startEmbeddedPostgres()
  } catch (error) {
    process.stderr.write(`[postforge] ${error.message}\n`)
    process.exit(1)
  }
  process.env.DATABASE_URL = embedded.url
} else {
  log('using DATABASE_URL from the environment')
}

const children = []
let stopping = false
const running = (child) => child.exitCode === null && child.signalCode === null
async function shutdown(code = 0, signal) {
  if (stopping) return
  stopping = true
  const exited = Promise.all(children.map((child) => new Promise((resolve) => (running(child) ? child.once('exit', resolve) : resolve()))))
  // A Ctrl-C reaches every process in the terminal's group: the worker finishes its running jobs
  // and stops by itself; a second signal now would make it fail them. Ask only those still up.
  if (signal === 'SIGINT') await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
  for (const child of children) if (running(child)) child.kill('SIGTERM')
  await exited
  // The database last: the others used it until they stopped.
  if (embedded) await embedded.stop()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0, 'SIGINT'))
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'))

try {
  log('applying migrations')
  await run('payload', ['migrate'])
  await run('tsx', ['src/seed/run.ts'])
} catch (error) {
  process.stderr.write(`[postforge] ${error.message}\n`)
  await shutdown(1)
}

const port = process.env.PORT ?? '3000'
children.push(start('next', production ? ['start', '-p', port] : ['dev', '-p', port]))
for (const [name, entry] of [
  ['worker', 'src/jobs/worker.ts'],
  ['bot', 'src/bot/polling.ts'],
]) {
  if (!existsSync(path.join(root, entry))) continue
  if (name === 'bot' && !process.env.TELEGRAM_BOT_TOKEN) {
    log('no TELEGRAM_BOT_TOKEN: the bot runs only in the admin bot console')
    continue
  }
  // tsx as a loader, not a parent process: a stop signal reaches the worker and the bot themselves.
  children.push(start('node', ['--import', 'tsx', entry]))
}
log(`admin: http://localhost:${port}/admin`)
for (const child of children) child.on('exit', (code) => !stopping && void shutdown(code ?? 1))
