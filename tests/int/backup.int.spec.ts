import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import pg from 'pg'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { reloadEnv } from '../../src/lib/env'
import { closeRedis } from '../../src/lib/redis'
import { checkBackupAlerts } from '../../src/ops/alertChecks'
import { pruneBackups, runBackup } from '../../src/ops/backup'
import { ADMIN_DATABASE_URL, createMigratedDatabase } from '../helpers/database'
import { testPayload } from '../helpers/payload'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { waitFor } from '../helpers/wait'

/**
 * Backups as an operator meets them: a dump of a database full of real rows (the demo seed, run
 * as `npm run dev` runs it), restored with `npm run restore` into a scratch database that then
 * holds the same number of rows in every table; retention; and failures (no pg_dump, a pg_dump
 * older than the server, a database that does not answer) recorded and told to the staff chat.
 */

const STAFF_CHAT = -1009990002
const HEAVY = 240_000

let payload: Payload
let telegram: FakeTelegram
let work: string
let source: { url: string; drop: () => Promise<void> }
let scratchUrl: string
const saved = { ...process.env }

function configure(vars: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  reloadEnv()
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Rows per table, every ordinary table of the database, listed from information_schema. */
async function rowCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (client) => {
    const tables = await client.query<{ schema: string; name: string }>(`
      select table_schema as schema, table_name as name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`)
    const counts: Record<string, number> = {}
    for (const t of tables.rows) {
      counts[`${t.schema}.${t.name}`] = Number((await client.query(`select count(*) as n from "${t.schema}"."${t.name}"`)).rows[0].n)
    }
    return counts
  })
}

/** `npm run restore -- ...` as an operator types it. */
function restore(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'restore', '--', ...args], {
      env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/never_the_target', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

beforeAll(async () => {
  payload = await testPayload()
  telegram = await startFakeTelegram()
  work = await mkdtemp(path.join(tmpdir(), 'pf-backup-'))
  const media = path.join(work, 'media')
  await mkdir(media, { recursive: true })
  await writeFile(path.join(media, 'pixel.png'), Buffer.from('89504e470d0a1a0a', 'hex'))
  await writeFile(path.join(media, 'pixel-400x400.png'), Buffer.from('89504e470d0a1a0a00', 'hex'))
  configure({
    BACKUP_DIR: path.join(work, 'backups'),
    MEDIA_DIR: media,
    BACKUP_KEEP: '14',
    BACKUP_INTERVAL_HOURS: '12',
    PG_DUMP_PATH: 'pg_dump',
    TELEGRAM_BOT_TOKEN: `123456:${'B'.repeat(35)}`,
    TELEGRAM_API_ROOT: telegram.url,
    STAFF_ALERT_CHAT_ID: String(STAFF_CHAT),
    ALERT_MAX_PER_HOUR: '1000',
  })
  // A database of this test's own (the shared one changes under other test files), filled by the
  // same seed `npm run dev` runs: accounts, projects, keywords, articles, posts, prompts, versions.
  source = await createMigratedDatabase('postforge_backup_src')
  const seeded = spawnSync(process.execPath, ['--import', 'tsx', 'src/seed/run.ts'], {
    env: { ...process.env, DATABASE_URL: source.url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  })
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stdout}\n${seeded.stderr}`)
  const scratch = new URL(ADMIN_DATABASE_URL)
  scratch.pathname = `/postforge_restore_${Date.now()}_${process.pid}`
  scratchUrl = scratch.toString()
}, HEAVY)

afterAll(async () => {
  process.env = { ...saved }
  reloadEnv()
  await source?.drop()
  await withClient(ADMIN_DATABASE_URL, (c) => c.query(`drop database if exists "${new URL(scratchUrl).pathname.slice(1)}" with (force)`)).catch(() => undefined)
  await telegram?.close()
  await rm(work, { recursive: true, force: true })
  await closeRedis()
})

describe('backup and restore', () => {
  it(
    'a backup restored into a scratch database holds the same rows in every table, and its media',
    async () => {
      const outcome = await runBackup(payload, { databaseUrl: source.url, force: true })
      expect(outcome.status).toBe('succeeded')
      if (outcome.status !== 'succeeded') return
      expect(path.basename(outcome.file)).toMatch(/^postforge-postforge_backup_src_\d+_\d+-\d{8}T\d{6}\.\d{3}Z\.dump$/)
      expect((await readFile(outcome.file)).subarray(0, 5).toString()).toBe('PGDMP')
      expect((await readdir(path.dirname(outcome.file))).filter((f) => f.endsWith('.partial'))).toEqual([])

      const record = await payload.findByID({ collection: 'backups', id: outcome.id, overrideAccess: true })
      expect(record.status).toBe('succeeded')
      expect(record.file).toBe(outcome.file)
      expect(record.sizeBytes).toBe((await stat(outcome.file)).size)
      expect(record.mediaFile).toBe(outcome.file.replace(/\.dump$/, '.media.tar'))
      expect(record.mediaSizeBytes).toBe((await stat(record.mediaFile!)).size)
      expect(new Date(record.finishedAt!).getTime()).toBeGreaterThanOrEqual(new Date(record.startedAt).getTime())

      const restoredMedia = path.join(work, 'restored-media')
      const first = await restore([outcome.file, '--database', scratchUrl, '--media-dir', restoredMedia])
      expect(first.code, first.err).toBe(0)
      expect(first.out).toMatch(/Created the database/)
      expect(first.out).toMatch(/Database restored in [\d.]+ s: \d+ tables, \d+ rows/)

      const [before, after] = await Promise.all([rowCounts(source.url), rowCounts(scratchUrl)])
      expect(Object.keys(before).length).toBeGreaterThan(20)
      expect(before['public.accounts']).toBeGreaterThan(0)
      expect(before['public.articles']).toBeGreaterThan(0)
      expect(before['public.payload_migrations']).toBeGreaterThan(0)
      expect(after).toEqual(before)
      expect((await readdir(restoredMedia)).sort()).toEqual(['pixel-400x400.png', 'pixel.png'])

      // The scratch database holds data now: a second restore asks for --yes, and with it replaces.
      const refused = await restore([outcome.file, '--database', scratchUrl, '--no-media'])
      expect(refused.code).toBe(2)
      expect(refused.err).toMatch(/holds data .* --yes/)
      await withClient(scratchUrl, (c) => c.query(`delete from public.workflow_events`))
      const again = await restore([outcome.file, '--database', scratchUrl, '--no-media', '--yes'])
      expect(again.code, again.err).toBe(0)
      expect(await rowCounts(scratchUrl)).toEqual(before)

      // An older backup restored over a database that newer migrations changed: what they added
      // (a table, an enum type, its row in payload_migrations) goes, so the app's migrations can
      // run again afterwards instead of failing with "already exists".
      await withClient(scratchUrl, (c) =>
        c.query(`create type public.enum_newer_kind as enum ('a', 'b');
                 create table public.newer_things (id serial primary key, kind public.enum_newer_kind);
                 insert into public.newer_things (kind) values ('a');
                 insert into public.payload_migrations (name, batch, updated_at, created_at) values ('29990101_000000_newer', 99, now(), now())`),
      )
      const older = await restore([outcome.file, '--database', scratchUrl, '--no-media', '--yes'])
      expect(older.code, older.err).toBe(0)
      expect(await rowCounts(scratchUrl)).toEqual(before)
      const leftovers = await withClient(scratchUrl, (c) =>
        c.query(`select (select count(*) from pg_type where typname = 'enum_newer_kind')::int as types,
                        (select count(*) from information_schema.tables where table_name = 'newer_things')::int as tables`),
      )
      expect(leftovers.rows[0]).toEqual({ types: 0, tables: 0 })
    },
    HEAVY,
  )

  it(
    'backups are private: BACKUP_DIR is 0700, the dump and media archive 0600, and so are their .partial files from the first byte',
    async () => {
      const dir = path.join(work, 'private')
      const bin = path.join(work, 'spy-bin')
      await mkdir(bin, { recursive: true })
      // The dump and the archive are written by pg_dump and tar: spies say what mode their output
      // file had when they started, then run the real tool.
      const realTar = spawnSync('sh', ['-c', 'command -v tar'], { encoding: 'utf8' }).stdout.trim()
      const realDump = spawnSync('sh', ['-c', 'command -v pg_dump'], { encoding: 'utf8' }).stdout.trim()
      await writeFile(
        path.join(bin, 'pg_dump'),
        `#!/bin/sh\nfor a in "$@"; do case "$a" in --file=*) f="\${a#--file=}"; stat -c %a "$f" > "${bin}/dump-mode" 2>/dev/null || echo none > "${bin}/dump-mode";; esac; done\nexec "${realDump}" "$@"\n`,
      )
      await writeFile(
        path.join(bin, 'tar'),
        `#!/bin/sh\nif [ "$1" = "-cf" ]; then stat -c %a "$2" > "${bin}/tar-mode" 2>/dev/null || echo none > "${bin}/tar-mode"; fi\nexec "${realTar}" "$@"\n`,
      )
      await chmod(path.join(bin, 'pg_dump'), 0o755)
      await chmod(path.join(bin, 'tar'), 0o755)
      const oldPath = process.env.PATH
      const oldUmask = process.umask(0o022)
      configure({ BACKUP_DIR: dir, PG_DUMP_PATH: path.join(bin, 'pg_dump'), PATH: `${bin}:${oldPath}` })
      try {
        const outcome = await runBackup(payload, { databaseUrl: source.url, force: true })
        expect(outcome.status).toBe('succeeded')
        if (outcome.status !== 'succeeded') return
        const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8)
        expect(await mode(dir)).toBe('700')
        expect(await mode(outcome.file)).toBe('600')
        expect(outcome.mediaFile).toBeTruthy()
        expect(await mode(outcome.mediaFile!)).toBe('600')
        expect((await readFile(path.join(bin, 'dump-mode'), 'utf8')).trim()).toBe('600')
        expect((await readFile(path.join(bin, 'tar-mode'), 'utf8')).trim()).toBe('600')

        // A directory an operator made world-readable earlier, holding an older readable dump, is tightened by the next run.
        await chmod(dir, 0o755)
        await chmod(outcome.file, 0o644)
        const next = await runBackup(payload, { databaseUrl: source.url, force: true })
        expect(next.status).toBe('succeeded')
        expect(await mode(dir)).toBe('700')
        expect(await mode(outcome.file)).toBe('600')
      } finally {
        process.umask(oldUmask)
        configure({ BACKUP_DIR: path.join(work, 'backups'), PG_DUMP_PATH: 'pg_dump', PATH: oldPath })
      }
    },
    HEAVY,
  )

  it(
    'retention keeps the newest BACKUP_KEEP and nothing older than BACKUP_MAX_AGE_DAYS, but never the last one',
    async () => {
      configure({ BACKUP_DIR: path.join(work, 'retention'), BACKUP_KEEP: '2', BACKUP_MAX_AGE_DAYS: '30' })
      const made: string[] = []
      for (let i = 0; i < 3; i++) {
        const outcome = await runBackup(payload, { databaseUrl: source.url, force: true })
        expect(outcome.status).toBe('succeeded')
        if (outcome.status === 'succeeded') made.push(outcome.file)
      }
      const dir = path.join(work, 'retention')
      expect(existsSync(made[0])).toBe(false)
      expect(existsSync(made[0].replace(/\.dump$/, '.media.tar'))).toBe(false)
      expect(existsSync(made[1]) && existsSync(made[2])).toBe(true)
      const oldest = await payload.find({ collection: 'backups', where: { file: { equals: made[0] } }, overrideAccess: true })
      expect(oldest.docs[0].removedAt).toBeTruthy()

      // By age: only the newest survives once all are older than the limit.
      const later = Date.now() + 31 * 86_400_000
      const removed = await pruneBackups(payload, source.url, later)
      expect(removed).toEqual([made[1]])
      expect((await readdir(dir)).filter((f) => f.endsWith('.dump'))).toEqual([path.basename(made[2])])
      configure({ BACKUP_DIR: path.join(work, 'backups'), BACKUP_KEEP: '14' })
    },
    HEAVY,
  )
})

describe('a backup that fails is recorded and told to staff', () => {
  const lastAlert = () => telegram.textsTo(STAFF_CHAT).at(-1) ?? ''

  it(
    'a media archive that fails takes its dump with it: no stray dump, and retention keeps the last good backup',
    async () => {
      const dir = path.join(work, 'tar-fails')
      const bin = path.join(work, 'failing-tar-bin')
      await mkdir(bin, { recursive: true })
      // tar that cannot write its archive (a full disk, say), after pg_dump wrote the dump.
      await writeFile(path.join(bin, 'tar'), '#!/bin/sh\necho "tar: write error: No space left on device" >&2\nexit 2\n')
      await chmod(path.join(bin, 'tar'), 0o755)
      const oldPath = process.env.PATH
      configure({ BACKUP_DIR: dir, BACKUP_KEEP: '14', BACKUP_MAX_AGE_DAYS: '30' })
      try {
        const good = await runBackup(payload, { databaseUrl: source.url, force: true })
        expect(good.status).toBe('succeeded')
        if (good.status !== 'succeeded') return
        configure({ PATH: `${bin}:${oldPath}` })
        const failed = await runBackup(payload, { databaseUrl: source.url, force: true })
        configure({ PATH: oldPath })
        expect(failed.status).toBe('failed')
        expect((failed as { error: string }).error).toMatch(/media archive failed.*No space left/s)
        const record = await payload.findByID({ collection: 'backups', id: (failed as { id: number }).id, overrideAccess: true })
        expect(record.status).toBe('failed')
        expect(record.file ?? null).toBeNull()
        // Only the good backup's files are in the directory.
        expect((await readdir(dir)).sort()).toEqual([path.basename(good.file), path.basename(good.mediaFile!)].sort())

        // A dump left by a failed run (say, by an older version) does not push the last good one out.
        const stray = path.join(dir, path.basename(good.file).replace(/\d{8}T\d{6}\.\d{3}Z/, '29991231T000000.000Z'))
        await writeFile(stray, 'PGDMP stray')
        await pruneBackups(payload, source.url, Date.now() + 31 * 86_400_000)
        expect(existsSync(good.file)).toBe(true)
        expect(existsSync(good.mediaFile!)).toBe(true)
      } finally {
        configure({ BACKUP_DIR: path.join(work, 'backups'), PATH: oldPath })
      }
    },
    HEAVY,
  )

  it(
    'no pg_dump at PG_DUMP_PATH, a pg_dump older than the server, a database that does not answer, a run a dead worker left behind',
    async () => {
      // A run a dead worker left `running` is closed as failed by the next one.
      const abandoned = await payload.create({ collection: 'backups', data: { startedAt: new Date().toISOString(), status: 'running' }, overrideAccess: true })
      configure({ PG_DUMP_PATH: path.join(work, 'no-such-dir', 'pg_dump') })
      const missing = await runBackup(payload, { databaseUrl: source.url, force: true })
      expect(missing.status).toBe('failed')
      const missingRecord = await payload.findByID({ collection: 'backups', id: (missing as { id: number }).id, overrideAccess: true })
      expect(missingRecord.status).toBe('failed')
      expect(missingRecord.error).toMatch(/not found.*PG_DUMP_PATH/)
      expect(missingRecord.file ?? null).toBeNull()
      const closed = await payload.findByID({ collection: 'backups', id: abandoned.id, overrideAccess: true })
      expect(closed).toMatchObject({ status: 'failed', error: expect.stringMatching(/worker stopped during this backup/) })

      await checkBackupAlerts(payload)
      await waitFor(() => telegram.textsTo(STAFF_CHAT).some((t) => t.includes('backup') && t.includes('failed')))
      expect(lastAlert()).toMatch(/ALERT[\s\S]*The backup of .* failed\.[\s\S]*PG_DUMP_PATH[\s\S]*backup_failed:database/)

      // A pg_dump of an older major version than the server (the dev database is 17, Debian's pg_dump 15).
      const old = path.join(work, 'pg15', 'pg_dump')
      await mkdir(path.dirname(old), { recursive: true })
      await writeFile(old, '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
      await chmod(old, 0o755)
      configure({ PG_DUMP_PATH: old })
      const mismatch = await runBackup(payload, { databaseUrl: source.url, force: true })
      expect(mismatch.status).toBe('failed')
      expect((mismatch as { error: string }).error).toMatch(/pg_dump 9\.6\.24 .* is older than the PostgreSQL server \(\d+[.\d]*\).*set PG_DUMP_PATH to a pg_dump of version \d+ or later/)

      configure({ PG_DUMP_PATH: 'pg_dump' })
      const away = await runBackup(payload, { databaseUrl: 'postgres://postgres@127.0.0.1:1/postforge', force: true })
      expect(away.status).toBe('failed')
      expect((away as { error: string }).error).toMatch(/cannot be reached/)

      // One incident for the failures in a row: still one alert message.
      await checkBackupAlerts(payload)
      await checkBackupAlerts(payload)
      expect(telegram.textsTo(STAFF_CHAT).filter((t) => t.includes('backup_failed:database') && t.includes('ALERT'))).toHaveLength(1)

      // A good backup clears it, with one message. (Repeated: a worker of another test file may
      // record a failure of its own in between.)
      await waitFor(async () => {
        const good = await runBackup(payload, { databaseUrl: source.url, force: true })
        expect(good.status).toBe('succeeded')
        await checkBackupAlerts(payload)
        return telegram.textsTo(STAFF_CHAT).some((t) => t.includes('RESOLVED') && t.includes('backup_failed:database'))
      })
      await checkBackupAlerts(payload)
      const resolved = telegram.textsTo(STAFF_CHAT).filter((t) => t.includes('RESOLVED') && t.includes('backup_failed:database'))
      expect(resolved).toHaveLength(1)
    },
    HEAVY,
  )
})
