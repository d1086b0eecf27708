#!/usr/bin/env node
/**
 * `npm test`: every test. Integration tests (vitest) against this machine's PostgreSQL and Redis,
 * then browser tests (Playwright in Debian's Chromium) against a production build of the app on
 * a fresh database. Ends with one line: "tests: N passed, N failed".
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'

import pg from 'pg'

import { log, root, run, start, startEmbeddedPostgres } from './lib.mjs'

const results = path.join(root, '.data', 'test-results')
rmSync(results, { recursive: true, force: true })
mkdirSync(results, { recursive: true })
const adminUrl = await testDatabaseServer()
process.env.TEST_ADMIN_DATABASE_URL = adminUrl
const only = process.argv[2]
let passed = 0
let failed = 0
let exitCode = 0

if (!only) {
  try {
    await run('tsc', ['--noEmit'])
    log('typecheck: ok')
  } catch {
    log('typecheck: FAILED')
    failed += 1
    exitCode = 1
  }
  // Payload no longer regenerates these on every start (typescript.autoGenerate is off): a
  // config change without `npm run generate:types` / `generate:importmap` fails here instead.
  try {
    await run('tsx', ['scripts/check-generated.ts'])
  } catch {
    log('generated files: STALE (see the message above)')
    failed += 1
    exitCode = 1
  }
  // The import rule between layers (.dependency-cruiser.cjs, README "What is where"): an import
  // running back up (the domain importing the bot, lib importing the domain) fails here, each
  // one listed with its file and the rule it breaks.
  try {
    await run('depcruise', ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err-long'])
    log('import rule: ok')
  } catch {
    log('import rule: BROKEN (the imports listed above run against the layers; see .dependency-cruiser.cjs)')
    failed += 1
    exitCode = 1
  }
}

if (only !== 'e2e') {
  try {
    await run('vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(results, 'vitest.json')}`])
  } catch {
    exitCode = 1
  }
  const file = path.join(results, 'vitest.json')
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, 'utf8'))
    passed += report.numPassedTests
    failed += report.numFailedTests + (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0 ? 1 : 0)
  } else {
    failed += 1
  }
}

if (only !== 'int') {
  const e2e = await runE2E().catch((error) => {
    process.stderr.write(`e2e setup failed: ${error.stack ?? error}\n`)
    return { passed: 0, failed: 1 }
  })
  passed += e2e.passed
  failed += e2e.failed
  if (e2e.failed > 0) exitCode = 1
}

process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`)
process.exit(failed > 0 ? 1 : exitCode)

async function runE2E() {
  const name = `postforge_e2e_${Date.now()}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database "${name}"`)
  await admin.end()
  const dbUrl = new URL(adminUrl)
  dbUrl.pathname = `/${name}`
  const port = process.env.E2E_PORT ?? '3100'
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    DATABASE_URL: dbUrl.toString(),
    PAYLOAD_SECRET: randomBytes(32).toString('hex'),
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SERVER_URL: `http://localhost:${port}`,
    LOG_LEVEL: 'warn',
    MEDIA_DIR: '.data/e2e-media',
    E2E_FIXTURES: path.join(results, 'e2e-fixtures.json'),
    E2E_BASE_URL: `http://localhost:${port}`,
    AI_API_KEY: 'e2e-key-never-sent',
    E2E_FAKES: path.join(results, 'e2e-fakes.json'),
  }
  let server
  // --- e2e fakes and worker: a model and a WordPress site (tests/e2e/fakes.ts), and the worker
  // that writes the ordered article and publishes it, pointed at them.
  let fakes
  let worker
  try {
    log('e2e: migrating a fresh database')
    await run('payload', ['migrate'], { env })
    await run('tsx', ['tests/e2e/seed.ts'], { env })
    log('e2e: building the app')
    await run('next', ['build'], { env })
    fakes = start('tsx', ['tests/e2e/fakes.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    const started = Date.now()
    while (!existsSync(env.E2E_FAKES) && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 200))
    Object.assign(env, JSON.parse(readFileSync(env.E2E_FAKES, 'utf8')).env)
    worker = start('node', ['--import', 'tsx', 'src/jobs/worker.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    // --- end of e2e fakes and worker
    server = start('next', ['start', '-p', port], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    await waitForHealth(`http://localhost:${port}/api/health`, 60_000)
    const jsonFile = path.join(results, 'playwright.json')
    let ok = true
    try {
      await run('playwright', ['test', '--reporter=list,json'], { env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: jsonFile } })
    } catch {
      ok = false
    }
    if (!existsSync(jsonFile)) return { passed: 0, failed: 1 }
    const stats = JSON.parse(readFileSync(jsonFile, 'utf8')).stats
    return { passed: stats.expected, failed: stats.unexpected + stats.flaky + (ok || stats.unexpected ? 0 : 1) }
  } finally {
    server?.kill('SIGTERM')
    worker?.kill('SIGTERM')
    fakes?.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, worker ? 2_000 : 0))
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    await client.query(`drop database if exists "${name}" with (force)`)
    await client.end()
  }
}

/**
 * The machine's PostgreSQL (127.0.0.1:5432, as on the project machines and in CI) when it
 * answers; otherwise an embedded PostgreSQL from node_modules, so a fresh machine needs nothing.
 */
async function testDatabaseServer() {
  if (process.env.TEST_ADMIN_DATABASE_URL) return process.env.TEST_ADMIN_DATABASE_URL
  const local = 'postgres://postgres@127.0.0.1:5432/postgres'
  const client = new pg.Client({ connectionString: local, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.end()
    return local
  } catch {
    log('no PostgreSQL on 127.0.0.1:5432: starting the embedded one for the tests')
    const embedded = await startEmbeddedPostgres({ port: 54330, dir: 'test-postgres' })
    return embedded.adminUrl
  }
}

async function waitForHealth(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`server did not become healthy at ${url}`)
}
