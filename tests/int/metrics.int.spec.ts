import { describe, expect, it } from 'vitest'

import { collectMetrics } from '../../src/lib/metrics'
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
})
