import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { createTenant, type Tenant } from '../helpers/fixtures'
import { gql } from '../helpers/rest'
import { testPayload } from '../helpers/payload'

/**
 * The GraphQL handler remembers documents that passed graphql-js's standard validation
 * (src/http/graphqlHandler.ts). Remembering must never let a document through that fails it, and
 * a remembered document still answers only what the caller may read.
 */

let payload: Payload
let alice: Tenant
let bob: Tenant

beforeAll(async () => {
  payload = await testPayload()
  alice = await createTenant(payload, { name: 'Alice' })
  bob = await createTenant(payload, { name: 'Bob' })
})

describe('GraphQL validation memo', () => {
  it('the same document answers the same, first and later, and each caller only their rows', async () => {
    const query = '{ Projects(limit: 10) { docs { id name } } }'
    for (let i = 0; i < 3; i++) {
      const a = await gql(query, { auth: alice.auth })
      expect(a.status).toBe(200)
      expect(a.json.data.Projects.docs.map((p: { id: number }) => p.id)).toEqual([alice.project.id])
      const b = await gql(query, { auth: bob.auth })
      expect(b.json.data.Projects.docs.map((p: { id: number }) => p.id)).toEqual([bob.project.id])
    }
  })

  it('a document that fails validation fails every time', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await gql('{ Projects { docs { id noSuchField } } }', { auth: alice.auth })
      // graphql-http answers validation errors with 200 to an `application/json` client, as before.
      expect(answer.json.errors?.[0]?.message).toMatch(/noSuchField/)
      expect(answer.json.data).toBeUndefined()
    }
  })

  it('variables are checked on every request, also for a remembered document', async () => {
    const query = 'query ($limit: Int) { Projects(limit: $limit) { docs { id } } }'
    expect((await gql(query, { auth: alice.auth, variables: { limit: 5 } })).json.data.Projects.docs).toEqual([{ id: alice.project.id }])
    const wrong = await gql(query, { auth: alice.auth, variables: { limit: 'many' } })
    expect(wrong.json.errors?.length).toBeGreaterThan(0)
    expect(wrong.json.data?.Projects).toBeUndefined()
  })
})
