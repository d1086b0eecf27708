import { sql } from '@payloadcms/db-postgres'
import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { isUniqueViolation } from '../../src/lib/dbErrors'
import { createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

let payload: Payload
let t: Tenant
let keywordId: number

const caught = (work: () => Promise<unknown>) => work().then(() => expect.fail('the write went through'), (error: unknown) => error)

beforeAll(async () => {
  payload = await testPayload()
  t = await createTenant(payload)
  keywordId = (await payload.create({ collection: 'keywords', data: { project: t.project.id, phrase: 'купить зерно' } as never })).id
})

describe('unique violations, told by SQLSTATE 23505', () => {
  it('a second keyword with the same phrase in a project, through Payload, the query builder and the driver', async () => {
    const viaPayload = await caught(() =>
      payload.create({ collection: 'keywords', data: { project: t.project.id, phrase: 'Купить  зерно' } as never }),
    )
    const viaDrizzle = await caught(() =>
      payload.db.drizzle.execute(sql`insert into keywords (id, project_id, account_id, phrase, normalized_phrase) values (${keywordId}, ${t.project.id}, ${t.account.id}, 'x', 'x')`),
    )
    const viaPool = await caught(() =>
      payload.db.pool.query('insert into keywords (id, project_id, account_id, phrase, normalized_phrase) values ($1, $2, $3, $4, $4)', [keywordId, t.project.id, t.account.id, 'x']),
    )
    expect([viaPayload, viaDrizzle, viaPool].map(isUniqueViolation)).toEqual([true, true, true])
  })

  it('other refusals are not taken for a lost race: a missing field, a foreign key, words in a message', async () => {
    const missingField = await caught(() => payload.create({ collection: 'keywords', data: { project: t.project.id } as never }))
    const foreignKey = await caught(() =>
      payload.db.drizzle.execute(sql`insert into keywords (project_id, account_id, phrase, normalized_phrase) values (${2_000_000_000}, ${t.account.id}, 'orphan', 'orphan')`),
    )
    const wordsOnly = new Error('duplicate key value violates unique constraint "keywords_pkey" (already exists)')
    expect((foreignKey as { cause?: { code?: string } }).cause?.code).toBe('23503')
    expect([missingField, foreignKey, wordsOnly].map(isUniqueViolation)).toEqual([false, false, false])
  })
})
