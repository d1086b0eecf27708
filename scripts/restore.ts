/**
 * `npm run restore -- <file.dump> [--database <url>] [--yes] [--media-dir <dir>] [--no-media]`
 *
 * Puts a backup (src/ops/backup.ts: pg_dump --format=custom) back into a database: the target's
 * objects that the dump holds are dropped and recreated (`pg_restore --clean --if-exists
 * --no-owner`, in one transaction: it all goes in or nothing changes). The target is
 * DATABASE_URL (from the environment, .env or .env.local) unless --database names another; a
 * database that does not exist yet is created. A target that holds any row is refused unless
 * --yes is given. The media archive next to the dump (`.media.tar`) is unpacked into MEDIA_DIR
 * (or --media-dir). Stop the web app and the worker first (docs/runbook.md, "Restoring a backup").
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'

import pg from 'pg'

import { BackupError, mediaFileOf, pgRestorePath, runTool, toolConnection, toolFailure } from '../src/ops/backupTools'
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
  const run = await runTool(
    bin,
    ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', `--dbname=${connection.url}`, dump],
    { env: connection.env, setting: 'PG_RESTORE_PATH' },
  )
  if (run.code !== 0) {
    const tooNew = /unsupported version .* in file header/.test(run.stderr)
    fail(
      tooNew
        ? `${bin} is older than the pg_dump that wrote ${path.basename(dump)}: set PG_RESTORE_PATH (or PG_DUMP_PATH's folder) to a newer pg_restore. Nothing was changed.\n${run.stderr}`
        : `${toolFailure(bin, run)}\nNothing was changed (one transaction).`,
    )
  }
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
