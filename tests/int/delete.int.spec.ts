import { describe, expect, it } from 'vitest'

import { createStaff, createTenant, lexical } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { rest } from '../helpers/rest'

describe('deleting', () => {
  it('a project through the API removes its content, connections and history, and nothing of others', async () => {
    const payload = await testPayload()
    const t = await createTenant(payload)
    const other = await createTenant(payload)
    const editor = await createStaff(payload, ['editor'])
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: 'удаляемый ключ', project: t.project.id } as never })
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Gone', project: t.project.id, body: lexical('x'), mainKeyword: keyword.id, workflowStatus: 'in_review' } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor.user, overrideAccess: false })
    const connection = await payload.create({
      collection: 'connections',
      data: { displayName: 'c', platform: 'telegram', project: t.project.id, credentials: { chatId: '@gone_channel' } } as never,
    })
    await payload.create({ collection: 'publications', data: { project: t.project.id, connection: connection.id, article: article.id, plannedAt: new Date().toISOString() } as never })
    await payload.create({ collection: 'schedules', data: { name: 's', project: t.project.id, connections: [connection.id], cadence: 'interval', intervalMinutes: 120 } as never })
    const keep = await payload.create({ collection: 'keywords', data: { phrase: 'чужой ключ', project: other.project.id } as never })

    const res = await rest('DELETE', `/projects/${t.project.id}`, { auth: t.auth })
    expect(res.status).toBe(200)
    for (const collection of ['keywords', 'articles', 'connections', 'publications', 'schedules', 'workflow-events'] as const) {
      const { totalDocs } = await payload.count({ collection, where: { project: { equals: t.project.id } } })
      expect(totalDocs, collection).toBe(0)
    }
    expect(await payload.findByID({ collection: 'keywords', id: keep.id })).toBeTruthy()
  })

  it('an account by staff removes its projects too', async () => {
    const payload = await testPayload()
    const t = await createTenant(payload)
    await payload.create({ collection: 'articles', data: { title: 'x', project: t.project.id } as never })
    const admin = await createStaff(payload, ['admin'])
    expect((await rest('DELETE', `/accounts/${t.account.id}`, { auth: admin.auth })).status).toBe(200)
    expect((await payload.count({ collection: 'projects', where: { account: { equals: t.account.id } } })).totalDocs).toBe(0)
  })
})
