import { spawnSync } from 'node:child_process'

import pg from 'pg'

export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A fresh, uniquely named database on the machine's PostgreSQL, migrated with the committed migrations. */
export async function createMigratedDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}_${process.pid}`
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE "${name}"`)
  await admin.end()
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${name}`
  const migrate = spawnSync('npx', ['payload', 'migrate'], {
    env: { ...process.env, DATABASE_URL: url.toString(), NODE_OPTIONS: '--no-deprecation' },
    encoding: 'utf8',
  })
  if (migrate.status !== 0) throw new Error(`payload migrate failed:\n${migrate.stdout}\n${migrate.stderr}`)
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      await client.end()
    },
  }
}
