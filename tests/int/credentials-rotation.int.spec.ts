import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { openCredentials } from '../../src/publishing/credentials'
import { keyFingerprint, seal, type SealedSecret } from '../../src/lib/crypto'
import { reloadEnv } from '../../src/lib/env'
import { createMigratedDatabase } from '../helpers/database'

/**
 * Rotating CREDENTIALS_ENCRYPTION_KEY (docs/runbook.md): the old key moves to
 * CREDENTIALS_ENCRYPTION_PREVIOUS_KEY, everything keeps opening, `npm run credentials:rotate`
 * re-seals each envelope with the new key, and then the old key can go.
 *
 * On a database of its own: the rotation re-seals every connection it finds, and the shared test
 * database's connections belong to other files running with the suite's key.
 */
const keyA = randomBytes(32)
const keyB = randomBytes(32)
const stranger = randomBytes(32)
const b64 = (key: Buffer) => key.toString('base64')
const saved = { key: process.env.CREDENTIALS_ENCRYPTION_KEY, previous: process.env.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY }

let db: Awaited<ReturnType<typeof createMigratedDatabase>>
let pool: pg.Pool
let projectId: number
let accountId: number

function useKeys(current: Buffer, previous?: Buffer) {
  process.env.CREDENTIALS_ENCRYPTION_KEY = b64(current)
  if (previous) process.env.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY = b64(previous)
  else delete process.env.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY
  reloadEnv()
}

async function connection(name: string, credentials: unknown): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `insert into connections (display_name, platform, project_id, account_id, credentials) values ($1, 'wordpress', $2, $3, $4) returning id`,
    [name, projectId, accountId, JSON.stringify(credentials)],
  )
  return rows[0].id
}

async function stored(id: number): Promise<SealedSecret> {
  return (await pool.query<{ credentials: SealedSecret }>('select credentials from connections where id = $1', [id])).rows[0].credentials
}

function rotateCli(current: Buffer, previous?: Buffer) {
  return spawnSync('npx', ['tsx', 'scripts/rotate-credentials.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      CREDENTIALS_ENCRYPTION_KEY: b64(current),
      CREDENTIALS_ENCRYPTION_PREVIOUS_KEY: previous ? b64(previous) : '',
      LOG_LEVEL: 'silent',
    },
    encoding: 'utf8',
  })
}

const wordpress = (n: number) => ({ siteUrl: `https://blog${n}.example.com/`, username: `editor${n}`, applicationPassword: `abcd efgh ijkl mno${n}` })

beforeAll(async () => {
  db = await createMigratedDatabase('pf_rotation')
  pool = new pg.Pool({ connectionString: db.url, max: 2 })
  accountId = (await pool.query<{ id: number }>("insert into accounts (telegram_id, plan) values ($1, 'free') returning id", [Date.now() % 2_000_000_000])).rows[0].id
  projectId = (await pool.query<{ id: number }>("insert into projects (name, account_id) values ('Blog', $1) returning id", [accountId])).rows[0].id
}, 180_000)

afterAll(async () => {
  await pool?.end()
  await db?.drop()
  process.env.CREDENTIALS_ENCRYPTION_KEY = saved.key
  if (saved.previous) process.env.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY = saved.previous
  else delete process.env.CREDENTIALS_ENCRYPTION_PREVIOUS_KEY
  reloadEnv()
})

describe('rotating the credentials key', () => {
  it('keeps every connection working through the rotation and leaves nothing on the old key', { timeout: 120_000 }, async () => {
    useKeys(keyA)
    const sealedByA = await connection('Sealed by A', seal(wordpress(1)))
    // Written before envelopes named their key.
    const { k: _unnamed, ...legacy } = seal(wordpress(2))
    const legacyId = await connection('Legacy envelope', legacy)
    expect((await stored(sealedByA)).k).toBe(keyFingerprint(keyA))

    // Step 1: the new key is current, the old one previous. Everything still opens; new writes use B.
    useKeys(keyB, keyA)
    expect(openCredentials('wordpress', await stored(sealedByA))).toMatchObject({ username: 'editor1' })
    expect(openCredentials('wordpress', await stored(legacyId))).toMatchObject({ username: 'editor2' })
    const sealedByB = await connection('Sealed by B', seal(wordpress(3)))
    expect((await stored(sealedByB)).k).toBe(keyFingerprint(keyB))

    // Step 2: the rotation command re-seals what A sealed and leaves B's alone.
    const first = rotateCli(keyB, keyA)
    expect(first.status, first.stderr).toBe(0)
    expect(first.stdout).toContain('2 re-sealed with the current key, 1 already current')
    expect(first.stdout).toContain('CREDENTIALS_ENCRYPTION_PREVIOUS_KEY can be removed')
    for (const id of [sealedByA, legacyId, sealedByB]) expect((await stored(id)).k).toBe(keyFingerprint(keyB))
    // Running it again changes nothing.
    expect(rotateCli(keyB, keyA).stdout).toContain('0 re-sealed with the current key, 3 already current')

    // Step 3: the old key is gone and every connection still opens, with the same secrets.
    useKeys(keyB)
    expect(openCredentials('wordpress', await stored(sealedByA))).toEqual(wordpress(1))
    expect(openCredentials('wordpress', await stored(legacyId))).toEqual(wordpress(2))
    expect(openCredentials('wordpress', await stored(sealedByB))).toEqual(wordpress(3))
  })

  it('names a connection no configured key opens, by id and key fingerprint, never a key, and fails', { timeout: 120_000 }, async () => {
    useKeys(keyB)
    const lost = await connection('Sealed with a key nobody has', seal(wordpress(4), stranger))
    const run = rotateCli(keyB)
    expect(run.status).toBe(1)
    expect(run.stdout).toContain(`connection ${lost}: cannot be opened (sealed with key ${keyFingerprint(stranger)}`)
    expect(run.stdout).toContain('the customer must reconnect it')
    for (const key of [keyA, keyB, stranger]) expect(`${run.stdout}${run.stderr}`).not.toContain(b64(key))
    // Publishing meets the same envelope as "reconnect", not as a crash.
    expect(() => openCredentials('wordpress', seal(wordpress(5), stranger))).toThrow(/cannot be opened/)
  })

  it('refuses a tampered envelope even when it names the right key', () => {
    useKeys(keyB)
    const envelope = seal(wordpress(6))
    const data = Buffer.from(envelope.data, 'base64')
    data[0] ^= 1
    expect(() => openCredentials('wordpress', { ...envelope, data: data.toString('base64') })).toThrow(/cannot be opened/)
  })
})
