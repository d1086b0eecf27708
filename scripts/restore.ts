/**
 * `npm run restore -- <file.dump> [--database <url>] [--yes] [--media-dir <dir>] [--no-media]`
 *
 * Puts a backup (src/ops/backup.ts: pg_dump --format=custom) back into a database: the schemas
 * the dump holds (public and graphile_worker) are dropped whole, with whatever newer migrations
 * added to them since the backup, and the dump's SQL (`pg_restore --no-owner` into psql) builds
 * them again, all in one transaction: it all goes in or nothing changes. The target is
 * DATABASE_URL (from the environment, .env or .env.local) unless --database names another; a
 * database that does not exist yet is created. A target that holds any row is refused unless
 * --yes is given. The media archive next to the dump (`.media.tar`) is unpacked into MEDIA_DIR
 * (or --media-dir). Stop the web app and the worker first (docs/runbook.md, "Restoring a backup").
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

import pg from 'pg'

import { BackupError, mediaFileOf, pgRestorePath, runTool, toolConnection, toolFailure, type ToolRun } from '../src/ops/backupTools'
import { loadEnvFiles } from './lib.mjs'

const say = (line: string) => process.stdout.write(`${line}\n`)
const fail = (line: string, code = 1): never => {
  process.stderr.write(`restore: ${line}\n`)
  process.exit(code)
}

type Table = { schema: string; name: string }
const quoted = (t: Table) => `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Every ordinary table outside PostgreSQL's own schemas, read from information_schema. */
async function tablesOf(client: pg.Client): Promise<Table[]> {
  const result = await client.query<Table>(`
    select table_schema as schema, table_name as name from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg\\_%'
     order by 1, 2`)
  return result.rows
}

/** Creates the target database when it does not exist yet; answers whether it did. */
async function ensureDatabase(url: string): Promise<boolean> {
  try {
    await withClient(url, async () => undefined)
    return false
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error
  }
  const admin = new URL(url)
  const name = decodeURIComponent(admin.pathname.slice(1))
  admin.pathname = '/postgres'
  await withClient(admin.toString(), (client) => client.query(`create database "${name.replace(/"/g, '""')}"`))
  return true
}

/**
 * The schemas the dump creates (`SCHEMA - graphile_worker` in its table of contents) and public,
 * which pg_dump never lists but holds Payload's tables: these are dropped whole before the dump's
 * SQL runs, so tables and enum types that newer migrations added do not survive a restore of an
 * older backup (Payload's migrations would then fail with "already exists").
 */
async function schemasOf(bin: string, dump: string): Promise<string[]> {
  // Into a file: runTool keeps only the tail of what a tool prints, and the schemas come first.
  const dir = await mkdtemp(path.join(tmpdir(), 'postforge-restore-'))
  let toc: string
  try {
    const list = await runTool(bin, ['--list', `--file=${path.join(dir, 'toc')}`, dump], { setting: 'PG_RESTORE_PATH' })
    if (list.code !== 0) return fail(toolFailure(bin, list))
    toc = await readFile(path.join(dir, 'toc'), 'utf8')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const schemas = new Set(['public'])
  for (const line of toc.split('\n')) {
    const m = /^\d+; \d+ \d+ SCHEMA - (\S+) /.exec(line)
    if (m) schemas.add(m[1])
  }
  return [...schemas]
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`

/**
 * `pg_restore --file=-` (the dump as SQL) piped into psql, after the drop of the dump's schemas,
 * in one transaction: a failure anywhere leaves the target as it was.
 */
function restoreInOneTransaction(bin: string, dump: string, schemas: string[], connection: ReturnType<typeof toolConnection>): Promise<{ restore: ToolRun; psql: ToolRun }> {
  const psqlBin = process.env.PSQL_PATH || (bin.includes('/') ? path.join(path.dirname(bin), 'psql') : 'psql')
  const clear = [
    ...schemas.map((schema) => `drop schema if exists ${ident(schema)} cascade;`),
    'create schema public;',
    'grant usage on schema public to public;',
  ].join(' ')
  return new Promise((resolve, reject) => {
    const restore = spawn(bin, ['--no-owner', '--file=-', dump], { env: connection.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const psql = spawn(psqlBin, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${connection.url}`, '-f', '-'], {
      env: connection.env,
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    const runs = { restore: { code: null, stdout: '', stderr: '' } as ToolRun, psql: { code: null, stdout: '', stderr: '' } as ToolRun }
    const missing = (which: string, setting: string) => (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new BackupError(`${which} not found: install the PostgreSQL client tools (postgresql-client) or set ${setting}`) : error)
    restore.on('error', missing(bin, 'PG_RESTORE_PATH'))
    psql.on('error', missing(psqlBin, 'PSQL_PATH'))
    restore.stderr.on('data', (c: Buffer) => (runs.restore.stderr = (runs.restore.stderr + c.toString()).slice(-4_000)))
    psql.stderr.on('data', (c: Buffer) => (runs.psql.stderr = (runs.psql.stderr + c.toString()).slice(-4_000)))
    // psql stopping early (an error) closes its stdin: pg_restore then ends on a broken pipe.
    psql.stdin.on('error', () => undefined)
    // The transaction is ours, not psql's --single-transaction (which would commit whatever part
    // of the script arrived if pg_restore stopped halfway): committed only when pg_restore
    // answered 0, else rolled back; an SQL error ends psql (ON_ERROR_STOP) before the commit.
    psql.stdin.write(`begin; ${clear}\n`)
    restore.stdout.pipe(psql.stdin, { end: false })
    let open = 2
    const done = () => {
      open -= 1
      if (open === 0) resolve({ restore: { ...runs.restore, stderr: runs.restore.stderr.trim() }, psql: { ...runs.psql, stderr: runs.psql.stderr.trim() } })
    }
    restore.on('close', (code) => {
      runs.restore.code = code
      psql.stdin.end(code === 0 ? 'commit;\n' : 'rollback;\n')
      done()
    })
    psql.on('close', (code) => {
      runs.psql.code = code
      done()
    })
  })
}

async function main() {
  // .env, then .env.local (what `npm run dev` writes), under what the shell sets.
  loadEnvFiles()
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      database: { type: 'string' },
      yes: { type: 'boolean', default: false },
      'media-dir': { type: 'string' },
      'no-media': { type: 'boolean', default: false },
    },
  })
  const file = positionals[0]
  if (!file || positionals.length > 1) fail('usage: npm run restore -- <file.dump> [--database <url>] [--yes] [--media-dir <dir>] [--no-media]', 64)
  const dump = path.resolve(file)
  if (!existsSync(dump)) fail(`${dump} does not exist`)
  const target = values.database ?? process.env.DATABASE_URL
  if (!target) fail('no target database: pass --database <postgres://...> or set DATABASE_URL')
  if (!/^postgres(ql)?:\/\//.test(target!)) fail('--database must be a postgres:// connection string')
  const connection = toolConnection(target!)
  const where = `${connection.database} on ${connection.host}`

  const created = await ensureDatabase(target!)
  if (created) say(`Created the database ${where}.`)
  const filled = await withClient(target!, async (client) => {
    const tables = await tablesOf(client)
    const withRows: Table[] = []
    for (const table of tables) {
      const result = await client.query<{ any: boolean }>(`select exists (select 1 from ${quoted(table)}) as any`)
      if (result.rows[0].any) withRows.push(table)
    }
    return withRows
  })
  if (filled.length > 0 && !values.yes) {
    fail(
      `${where} holds data (${filled.length} tables with rows, e.g. ${filled.slice(0, 3).map((t) => `${t.schema}.${t.name}`).join(', ')}). ` +
        'Restoring replaces what the backup holds. Stop the web app and the worker, then run again with --yes.',
      2,
    )
  }

  const bin = pgRestorePath(process.env.PG_DUMP_PATH || 'pg_dump', process.env.PG_RESTORE_PATH || undefined)
  say(`Restoring ${dump} (${(statSync(dump).size / 1_048_576).toFixed(1)} MiB) into ${where}${filled.length > 0 ? ', replacing its data' : ''}...`)
  const started = Date.now()
  const schemas = await schemasOf(bin, dump)
  const run = await restoreInOneTransaction(bin, dump, schemas, connection)
  if (run.restore.code !== 0 || run.psql.code !== 0) {
    const tooNew = /unsupported version .* in file header/.test(run.restore.stderr)
    fail(
      tooNew
        ? `${bin} is older than the pg_dump that wrote ${path.basename(dump)}: set PG_RESTORE_PATH (or PG_DUMP_PATH's folder) to a newer pg_restore. Nothing was changed.\n${run.restore.stderr}`
        : `${run.restore.code !== 0 ? toolFailure(bin, run.restore) : toolFailure('psql', run.psql)}\nNothing was changed (one transaction).`,
    )
  }
  say(`Schemas replaced whole: ${schemas.join(', ')}.`)
  const counted = await withClient(target!, async (client) => {
    const tables = await tablesOf(client)
    let rows = 0
    for (const table of tables) rows += Number((await client.query<{ n: string }>(`select count(*) as n from ${quoted(table)}`)).rows[0].n)
    return { tables: tables.length, rows }
  })
  say(`Database restored in ${((Date.now() - started) / 1000).toFixed(1)} s: ${counted.tables} tables, ${counted.rows} rows.`)

  const media = mediaFileOf(dump)
  if (values['no-media']) say('Media: skipped (--no-media).')
  else if (!existsSync(media)) say(`Media: no archive next to the dump (${path.basename(media)}); media files left as they are.`)
  else {
    const mediaDir = path.resolve(values['media-dir'] ?? process.env.MEDIA_DIR ?? 'media')
    await mkdir(mediaDir, { recursive: true })
    const tar = await runTool('tar', ['-xf', media, '-C', mediaDir], { setting: 'PATH (tar)' })
    if (tar.code !== 0) fail(`the database was restored, but the media archive was not: ${toolFailure('tar', tar)}`)
    say(`Media: ${path.basename(media)} unpacked into ${mediaDir} (${readdirSync(mediaDir).length} files there now).`)
  }
  say('Done. Start the web app and the worker again.')
}

main().catch((error: unknown) => fail(error instanceof BackupError ? error.message : error instanceof Error ? error.message : String(error)))
