import { describe, expect, it } from 'vitest'

import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest } from '../helpers/rest'

describe('smoke', () => {
  it('an account reads its own project over REST', async () => {
    const payload = await testPayload()
    const a = await createTenant(payload)
    const res = await rest('GET', '/projects', { auth: a.auth })
    expect(res.status).toBe(200)
    expect(res.json.docs.map((d: { id: number }) => d.id)).toEqual([a.project.id])
  })
})
