import { describe, expect, it } from 'vitest'

import { rest } from '../helpers/rest'

describe('OpenAPI', () => {
  it('describes the customer-facing REST API', async () => {
    const res = await rest('GET', '/openapi.json')
    expect(res.status).toBe(200)
    expect(res.json.info.title).toBe('Postforge API')
    const paths = Object.keys(res.json.paths)
    for (const path of ['/api/projects', '/api/articles/{id}', '/api/keywords', '/api/publications']) {
      expect(paths).toContain(path)
    }
  })
})
