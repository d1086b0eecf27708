import { existsSync } from 'node:fs'
import { chmod, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'

import type { Payload } from 'payload'
import type { Logger } from 'pino'

import { env } from '../lib/env'
import { logger } from '../lib/logger'
import type { Backup } from '../payload-types'
import { BACKUP_FILE_MODE, BackupError, checkToolVersion, dateOfStamp, mediaFileOf, privateDir, privateFile, runTool, STAMP_PATTERN, stampOf, toolConnection, toolFailure } from './backupTools'

/**
 * The scheduled backup (task `backup.run`): `pg_dump --format=custom` of the database and a tar of
 * MEDIA_DIR into BACKUP_DIR, each written under a `.partial` name and renamed when complete (a
 * file with the final name is always a whole one), recorded in the `backups` collection, then
 * old ones pruned by count and age. One at a time per database (an advisory lock); the worker's
 * hourly tick starts one when the last is BACKUP_INTERVAL_HOURS old, so a worker that was down at
 * the planned hour catches up within the hour. A failure of any step is recorded with its reason
 * and raised as an alert (src/ops/alertChecks.ts), never skipped in silence.
 */

export const backupDir = () => path.resolve(process.cwd(), env().BACKUP_DIR)

/** Files of this database only: two installations may share a backup directory. */
const prefixOf = (databaseUrl: string) => `postforge-${toolConnection(databaseUrl).database.replace(/[^A-Za-z0-9_-]/g, '_')}-`

/** Session-level advisory lock key: one backup per database at a time, across workers. */
const LOCK_KEY = 'postforge.backup'

/** A tick this much early still counts as due: hourly ticks drift by the job's start time. */
const DUE_SLACK_MS = 30 * 60_000

export type BackupOutcome =
  | { status: 'succeeded'; id: number; file: string; sizeBytes: number; mediaFile: string | null; removed: string[] }
  | { status: 'failed'; id: number; error: string }
  | { status: 'skipped'; reason: 'not_due' | 'running' | 'off' }

type Options = {
  /** The database to dump; the one this installation uses unless said (tests dump one of their own). */
  databaseUrl?: string
  /** Run now even if the last backup is recent (the tick checks; a staff request does not). */
  force?: boolean
  signal?: AbortSignal
  log?: Logger
}

/** Whether the interval since the last backup that started (whatever its outcome) has passed. */
export async function backupDue(payload: Payload, now = Date.now()): Promise<boolean> {
  const hours = env().BACKUP_INTERVAL_HOURS
  if (hours === 0) return false
  const last = await payload.find({ collection: 'backups', sort: '-startedAt', limit: 1, depth: 0, overrideAccess: true })
  const started = last.docs[0] ? new Date(last.docs[0].startedAt).getTime() : 0
  return now - started >= hours * 3_600_000 - DUE_SLACK_MS
}

export async function runBackup(payload: Payload, options: Options = {}): Promise<BackupOutcome> {
  const settings = env()
  const log = options.log ?? logger().child({ task: 'backup.run' })
  if (!options.force && settings.BACKUP_INTERVAL_HOURS === 0) return { status: 'skipped', reason: 'off' }
  const client = await payload.db.pool.connect()
  try {
    const locked = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [LOCK_KEY])
    if (!locked.rows[0].ok) return { status: 'skipped', reason: 'running' }
    try {
      if (!options.force && !(await backupDue(payload))) return { status: 'skipped', reason: 'not_due' }
      return await backUp(payload, options.databaseUrl ?? settings.DATABASE_URL, options.signal, log)
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined)
    }
  } finally {
    client.release()
  }
}

/**
 * Runs left `running` by a worker that died mid-backup: under the lock none is running now, so
 * they are closed as failed with the reason, instead of showing `running` for ever.
 */
async function closeAbandoned(payload: Payload, now: Date) {
  await payload.update({
    collection: 'backups',
    where: { status: { equals: 'running' } },
    data: { status: 'failed', finishedAt: now.toISOString(), error: 'the worker stopped during this backup; no result was recorded (its partial files were removed)' },
    overrideAccess: true,
  })
}

async function backUp(payload: Payload, databaseUrl: string, signal: AbortSignal | undefined, log: Logger): Promise<BackupOutcome> {
  const settings = env()
  const startedAt = new Date()
  await closeAbandoned(payload, startedAt)
  const record = await payload.create({
    collection: 'backups',
    data: { startedAt: startedAt.toISOString(), status: 'running' },
    overrideAccess: true,
  })
  const dir = backupDir()
  const file = path.join(dir, `${prefixOf(databaseUrl)}${stampOf(startedAt)}.dump`)
  const partials: string[] = []
  try {
    await privateDir(dir)
    await removeStalePartials(dir, prefixOf(databaseUrl))
    const versions = await checkToolVersion(settings.PG_DUMP_PATH, 'PG_DUMP_PATH', databaseUrl)
    const target = toolConnection(databaseUrl)
    partials.push(`${file}.partial`)
    await privateFile(`${file}.partial`)
    const dump = await runTool(settings.PG_DUMP_PATH, ['--format=custom', `--file=${file}.partial`, `--dbname=${target.url}`], {
      env: target.env,
      setting: 'PG_DUMP_PATH',
      signal,
    })
    if (dump.code !== 0) throw new BackupError(toolFailure(settings.PG_DUMP_PATH, dump))
    await rename(`${file}.partial`, file)
    // Until the run is recorded succeeded the dump goes with any failure (the media archive
    // failing included): a dump left under its final name would count as the newest backup.
    partials.push(file)
    const sizeBytes = (await stat(file)).size
    const media = await archiveMedia(file, partials, signal)
    const finishedAt = new Date()
    await payload.update({
      collection: 'backups',
      id: record.id,
      overrideAccess: true,
      data: {
        status: 'succeeded',
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        file,
        sizeBytes,
        mediaFile: media?.file ?? null,
        mediaSizeBytes: media?.sizeBytes ?? null,
      },
    })
    partials.length = 0
    log.info({ file, sizeBytes, media: media?.file, pgDump: versions.tool, server: versions.server, ms: finishedAt.getTime() - startedAt.getTime() }, 'backup written')
    const removed = await pruneBackups(payload, databaseUrl).catch((error: Error) => {
      log.error({ err: error.message }, 'backup retention failed; old backups kept')
      return []
    })
    return { status: 'succeeded', id: record.id, file, sizeBytes, mediaFile: media?.file ?? null, removed }
  } catch (error) {
    const message = error instanceof BackupError ? error.message : `backup failed: ${error instanceof Error ? error.message : String(error)}`
    await Promise.all(partials.map((p) => rm(p, { force: true })))
    const finishedAt = new Date()
    await payload.update({
      collection: 'backups',
      id: record.id,
      overrideAccess: true,
      data: { status: 'failed', finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime(), error: message },
    })
    log.error({ err: message, backup: record.id }, 'backup failed')
    return { status: 'failed', id: record.id, error: message }
  }
}

/**
 * MEDIA_DIR as a tar next to the dump (images are compressed already), or null when there is no
 * media directory or it is empty. Uploads keep their names, so restoring puts them back where the
 * media rows point.
 */
async function archiveMedia(dumpFile: string, partials: string[], signal?: AbortSignal): Promise<{ file: string; sizeBytes: number } | null> {
  const mediaDir = path.resolve(process.cwd(), env().MEDIA_DIR)
  if (!existsSync(mediaDir) || (await readdir(mediaDir)).length === 0) return null
  const file = mediaFileOf(dumpFile)
  partials.push(`${file}.partial`)
  await privateFile(`${file}.partial`)
  const tar = await runTool('tar', ['-cf', `${file}.partial`, '-C', mediaDir, '.'], { setting: 'PATH (tar)', signal })
  if (tar.code !== 0) throw new BackupError(`the database dump was written, but the media archive failed: ${toolFailure('tar', tar)}`)
  await rename(`${file}.partial`, file)
  return { file, sizeBytes: (await stat(file)).size }
}

/**
 * Leftovers of a run that died mid-write (the lock says none is running now); backups written
 * before files were made private are tightened to 0600 on the way.
 */
async function removeStalePartials(dir: string, prefix: string) {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue
    if (name.endsWith('.partial')) await rm(path.join(dir, name), { force: true })
    else await chmod(path.join(dir, name), BACKUP_FILE_MODE).catch(() => undefined)
  }
}

/**
 * Retention: the newest BACKUP_KEEP dumps stay and none older than BACKUP_MAX_AGE_DAYS, except
 * that the newest one and the newest recorded `succeeded` always stay (backups that stopped must
 * not age the last good one away). A dump goes with its media archive; its record keeps the history with `removedAt`.
 */
export async function pruneBackups(payload: Payload, databaseUrl = env().DATABASE_URL, now = Date.now()): Promise<string[]> {
  const { BACKUP_KEEP, BACKUP_MAX_AGE_DAYS } = env()
  const dir = backupDir()
  const prefix = prefixOf(databaseUrl)
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(${STAMP_PATTERN})\\.dump$`)
  const dumps = (await readdir(dir))
    .map((name) => ({ name, at: dateOfStamp(pattern.exec(name)?.[1] ?? '') }))
    .filter((d): d is { name: string; at: Date } => d.at !== null)
    .sort((a, b) => b.at.getTime() - a.at.getTime())
  const maxAgeMs = BACKUP_MAX_AGE_DAYS * 86_400_000
  const lastGood = await newestSucceededFile(payload, new Set(dumps.map((d) => path.join(dir, d.name))))
  const doomed = dumps.filter(
    (d, index) => index > 0 && path.join(dir, d.name) !== lastGood && (index >= BACKUP_KEEP || now - d.at.getTime() > maxAgeMs),
  )
  const removed: string[] = []
  for (const dump of doomed) {
    const file = path.join(dir, dump.name)
    await rm(file, { force: true })
    await rm(mediaFileOf(file), { force: true })
    removed.push(file)
  }
  if (removed.length > 0) {
    await payload.update({
      collection: 'backups',
      where: { file: { in: removed } },
      data: { removedAt: new Date(now).toISOString() },
      overrideAccess: true,
    })
  }
  return removed
}

/**
 * The dump of the newest backup recorded `succeeded` among these files: retention never removes
 * it, whatever else lies in the directory (a stray dump of a failed run must not age it away).
 */
async function newestSucceededFile(payload: Payload, files: Set<string>): Promise<string | null> {
  if (files.size === 0) return null
  const good = await payload.find({
    collection: 'backups',
    where: { and: [{ status: { equals: 'succeeded' } }, { file: { in: [...files] } }] },
    sort: '-startedAt',
    limit: 1,
    depth: 0,
    overrideAccess: true,
  })
  return good.docs[0]?.file ?? null
}

/** The latest finished backup and the latest good one, for the alert checks. */
export async function backupState(payload: Payload): Promise<{ lastFinished: Backup | null; lastSucceeded: Backup | null }> {
  const [finished, succeeded] = await Promise.all([
    payload.find({ collection: 'backups', where: { status: { not_equals: 'running' } }, sort: '-startedAt', limit: 1, depth: 0, overrideAccess: true }),
    payload.find({ collection: 'backups', where: { status: { equals: 'succeeded' } }, sort: '-startedAt', limit: 1, depth: 0, overrideAccess: true }),
  ])
  return { lastFinished: finished.docs[0] ?? null, lastSucceeded: succeeded.docs[0] ?? null }
}
