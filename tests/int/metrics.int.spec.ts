import { sql } from '@payloadcms/db-postgres'
import { describe, expect, it } from 'vitest'

import { collectMetrics } from '../../src/ops/metrics'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

describe('metrics', () => {
  it('counts articles by workflow status in Prometheus format', async () => {
    const payload = await testPayload()
    const before = await collectMetrics(payload)
    const count = (text: string) => Number(text.match(/^postforge_articles\{status="in_review"\} (\d+)$/m)?.[1] ?? 0)
    const account = await payload.create({ collection: 'accounts', data: { telegramId: 777000111, language: 'ru', timezone: 'UTC', plan: 'free', status: 'active' } })
    const project = await payload.create({ collection: 'projects', data: { name: 'M', account: account.id, timezone: 'UTC', language: 'ru', reviewPolicy: 'staff' } })
    await payload.create({ collection: 'articles', data: { title: 'x', project: project.id, workflowStatus: 'in_review' } as never })
    const after = await collectMetrics(payload)
    expect(count(after)).toBe(count(before) + 1)
    expect(after).toMatch(/^# TYPE postforge_jobs gauge$/m)
    expect(after).toMatch(/^postforge_worker_last_job_seconds /m)
  })

  it('compares prompt variants by how many of their articles were approved', async () => {
    const payload = await testPayload()
    const { account, project } = await createTenant(payload)
    const variant = `mt${Date.now().toString(36)}`
    for (const approved of [true, true, false, false]) {
      const article = await payload.create({ collection: 'articles', data: { title: 'v', project: project.id, workflowStatus: 'in_review' } as never })
      if (approved) await payload.db.drizzle.execute(sql`update articles set workflow_status = 'approved' where id = ${article.id}`)
      for (let section = 0; section < 3; section++) {
        await payload.create({
          collection: 'ai-runs',
          data: { task: 'article.section', model: 'm', promptVariant: variant, outcome: 'ok', account: account.id, project: project.id, article: article.id } as never,
        })
      }
    }
    const text = await collectMetrics(payload)
    expect(text).toMatch(new RegExp(`^postforge_prompt_variant_articles\\{variant="${variant}"\\} 4$`, 'm'))
    expect(text).toMatch(new RegExp(`^postforge_prompt_variant_approval_rate\\{variant="${variant}"\\} 0.5$`, 'm'))
  })
})

describe('GET /api/metrics', () => {
  it('answers only `Authorization: Bearer <token>`, nothing looser', async () => {
    const { GET } = await import('../../src/app/api/metrics/route')
    const { reloadEnv } = await import('../../src/lib/env')
    const saved = process.env.METRICS_TOKEN
    process.env.METRICS_TOKEN = 'metrics-token-0123456789'
    reloadEnv()
    try {
      const scrape = (authorization?: string) =>
        GET(new Request('http://localhost:3000/api/metrics', { headers: authorization ? { authorization } : {} }))
      for (const refused of [undefined, 'metrics-token-0123456789', 'Bearer  metrics-token-0123456789', 'Basic metrics-token-0123456789', 'Bearer metrics-token-012345678', 'Bearer metrics-token-0123456789x']) {
        expect((await scrape(refused)).status, String(refused)).toBe(401)
      }
      const ok = await scrape('Bearer metrics-token-0123456789')
      expect(ok.status).toBe(200)
      expect(await ok.text()).toMatch(/^# TYPE postforge_jobs gauge$/m)
    } finally {
      if (saved === undefined) delete process.env.METRICS_TOKEN
      else process.env.METRICS_TOKEN = saved
      reloadEnv()
    }
  })
})
