import { sql } from '@payloadcms/db-postgres'
import { describe, expect, it } from 'vitest'

import { collectMetrics } from '../../src/lib/metrics'
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
