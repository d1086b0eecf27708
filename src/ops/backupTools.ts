import { spawn } from 'node:child_process'
import { chmod, mkdir, open } from 'node:fs/promises'
import path from 'node:path'

import pg from 'pg'

/**
 * What the backup task and `npm run restore` share: running pg_dump, pg_restore and tar, the
 * connection string without its password (which goes in PGPASSWORD, never on a command line
 * that `ps` shows), and the version check that turns "pg_dump is older than the server" into a
 * sentence saying what to do. Reads no settings itself: the restore script runs without the
 * web app's configuration.
 */

/** A failure of a backup or restore step, in words an operator can act on. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupError'
  }
}

/** The dump file name's timestamp: UTC to the millisecond (`20261128T212439.123Z`), sortable, safe in every file system. */
export const stampOf = (at: Date) => at.toISOString().replace(/[-:]/g, '')

export const STAMP_PATTERN = '\\d{8}T\\d{6}\\.\\d{3}Z'

export function dateOfStamp(stamp: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(stamp)
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7])) : null
}

/**
 * Backups hold every customer's data: BACKUP_DIR is 0700 and every file in it 0600 (owner only),
 * whatever the process umask. The directory is tightened when it exists already.
 */
export const BACKUP_DIR_MODE = 0o700
export const BACKUP_FILE_MODE = 0o600

export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: BACKUP_DIR_MODE })
  await chmod(dir, BACKUP_DIR_MODE)
}

/**
 * Creates (or empties) a file as 0600 before a tool writes into it: pg_dump and tar open an
 * existing file with O_TRUNC and keep its mode, so the data is private from its first byte.
 */
export async function privateFile(file: string): Promise<void> {
  const handle = await open(file, 'w', BACKUP_FILE_MODE)
  try {
    await handle.chmod(BACKUP_FILE_MODE)
  } finally {
    await handle.close()
  }
}

/** The media archive that belongs to a dump: same name, `.media.tar` instead of `.dump`. */
export const mediaFileOf = (dumpFile: string) => dumpFile.replace(/\.dump$/, '.media.tar')

/** The connection string for a client tool (without password) and the environment carrying it. */
export function toolConnection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv; database: string; host: string } {
  const url = new URL(databaseUrl)
  const password = decodeURIComponent(url.password)
  url.password = ''
  return {
    url: url.toString(),
    // A database that does not answer fails within seconds instead of hanging the job.
    env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...(password ? { PGPASSWORD: password } : {}) },
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    host: url.host,
  }
}

export type ToolRun = { code: number | null; stdout: string; stderr: string }

/**
 * Runs a client binary to the end. A missing binary is a BackupError naming the setting that
 * points at it; stderr is kept (its tail) for the record. The signal (a worker shutting down)
 * ends the child.
 */
export function runTool(
  bin: string,
  args: string[],
  { env, setting, signal }: { env?: NodeJS.ProcessEnv; setting: string; signal?: AbortSignal },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-20_000)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000)
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new BackupError(`${bin} not found: install the PostgreSQL client tools (postgresql-client) or set ${setting} to the binary`))
      else if (error.name === 'AbortError') reject(new BackupError(`${path.basename(bin)} stopped: the worker is shutting down`))
      else reject(new BackupError(`${bin} could not be started: ${error.message}`))
    })
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.trim() }))
  })
}

/** The major version a client tool reports (`pg_dump (PostgreSQL) 15.20 (Debian ...)` → 15). */
export async function toolMajorVersion(bin: string, setting: string): Promise<{ major: number; version: string }> {
  const run = await runTool(bin, ['--version'], { setting })
  const m = /\(PostgreSQL\)\s+((\d+)(?:\.\d+)*)/.exec(run.stdout)
  if (run.code !== 0 || !m) throw new BackupError(`${bin} --version did not answer like a PostgreSQL client tool (set ${setting}): ${(run.stderr || run.stdout).trim().slice(0, 300)}`)
  return { major: Number(m[2]), version: m[1] }
}

/** The server's version (`server_version_num` 170004 → major 17), or a BackupError saying it cannot be reached. */
export async function serverVersion(databaseUrl: string): Promise<{ major: number; version: string }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 })
  try {
    await client.connect()
    const result = await client.query<{ num: string; version: string }>(`select current_setting('server_version_num') as num, current_setting('server_version') as version`)
    return { major: Math.floor(Number(result.rows[0].num) / 10_000), version: result.rows[0].version.split(' ')[0] }
  } catch (error) {
    throw new BackupError(`the database at ${toolConnection(databaseUrl).host} cannot be reached: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * pg_dump refuses a server of a newer major version ("aborting because of server version
 * mismatch"), and pg_restore may not read what a newer pg_dump wrote. Said before the run, with
 * the fix, instead of in pg_dump's words after it.
 */
export async function checkToolVersion(bin: string, setting: string, databaseUrl: string): Promise<{ tool: string; server: string }> {
  const [tool, server] = await Promise.all([toolMajorVersion(bin, setting), serverVersion(databaseUrl)])
  if (tool.major < server.major) {
    throw new BackupError(
      `${path.basename(bin)} ${tool.version} (${bin}) is older than the PostgreSQL server (${server.version}) and cannot handle it: ` +
        `set ${setting} to a ${path.basename(bin)} of version ${server.major} or later (Debian: postgresql-client-${server.major}, /usr/lib/postgresql/${server.major}/bin/${path.basename(bin)})`,
    )
  }
  return { tool: tool.version, server: server.version }
}

/** The last lines of a tool's complaint, for the record and the alert. */
export const toolFailure = (bin: string, run: ToolRun) =>
  `${path.basename(bin)} exited with ${run.code ?? 'a signal'}: ${run.stderr.split('\n').slice(-6).join('\n').slice(-1_500) || '(no message)'}`

/** pg_restore next to the configured pg_dump, unless it is set itself. */
export const pgRestorePath = (pgDump: string, pgRestore?: string) =>
  pgRestore ?? (pgDump.includes('/') ? path.join(path.dirname(pgDump), 'pg_restore') : 'pg_restore')
