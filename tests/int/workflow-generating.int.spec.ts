import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { jobKeyOf, queuedJobId } from '../../src/jobs/addJob'
import { idOf } from '../../src/lib/ids'
import type { Article } from '../../src/payload-types'
import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'

/**
 * Issue 11, item 5: an article the AI is writing, or is about to rewrite, cannot be moved through
 * the workflow by anyone (REST /move, REST update as the admin does it, GraphQL); the pipeline
 * moves it itself when the text is ready.
 */
let payload: Payload
let editor: { auth: Auth }

beforeAll(async () => {
  payload = await testPayload()
  editor = await createStaff(payload, ['editor'])
})

/** A draft the worker is writing, as the pipeline creates it (state `sections`, half a body). */
async function beingWritten(t: Tenant): Promise<Article> {
  return (await payload.create({
    collection: 'articles',
    context: SYSTEM_CONTEXT,
    data: {
      title: 'Как выбрать кофе в зернах',
      project: t.project.id,
      body: lexical('Первый раздел готов.'),
      generation: { state: 'sections', sections: [{ index: 0, heading: 'Первый', markdown: 'Первый раздел готов.' }] },
    } as never,
  })) as Article
}

const statusOf = async (id: number) => (await payload.findByID({ collection: 'articles', id, depth: 0 })).workflowStatus

describe('content being generated stays where it is', () => {
  it('REST /move, an update and GraphQL answer 409 "still being generated" in the account language, for the owner and for an editor', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'owner' })
    await payload.update({ collection: 'accounts', id: t.account.id, data: { language: 'ru' } })
    const doc = await beingWritten(t)

    const move = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'in_review' } })
    expect(move.status).toBe(409)
    expect(move.json.errors[0].message).toBe('«Как выбрать кофе в зернах» ещё пишется: пока текст не готов, статус менять нельзя. Когда статья будет готова, она сама уйдёт на проверку.')
    expect(move.json.errors[0].data).toMatchObject({ code: 'workflow.generating' })

    const archive = await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { workflowStatus: 'archived' } })
    expect(archive.status).toBe(409)

    // Staff in the admin write through the same REST update.
    const staff = await rest('PATCH', `/articles/${doc.id}`, { auth: editor.auth, body: { workflowStatus: 'in_review' }, lang: 'en' })
    expect(staff.status).toBe(409)
    expect(staff.json.errors[0].message).toContain('"Как выбрать кофе в зернах" is still being generated')

    const graph = await gql(`mutation { updateArticle(id: ${doc.id}, data: { workflowStatus: in_review }) { id workflowStatus } }`, { auth: t.auth })
    expect(graph.json.errors?.[0]?.message).toContain('ещё пишется')
    expect(await statusOf(doc.id)).toBe('draft')
    const { totalDocs } = await payload.find({ collection: 'workflow-events', where: { 'document.value': { equals: doc.id }, 'document.relationTo': { equals: 'articles' } } })
    expect(totalDocs).toBe(0)

    // The pipeline finishes the text and submits it in one write; then people decide again.
    await payload.update({ collection: 'articles', id: doc.id, context: SYSTEM_CONTEXT, data: { generation: { state: 'done' }, workflowStatus: 'in_review' } as never })
    const approve = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'approved' } })
    expect(approve.status).toBe(200)
    expect(approve.json.doc.workflowStatus).toBe('approved')
  })

  it('the keyword of an article being written cannot be changed: a retried job finds the article by it, and would start a second one', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'owner' })
    const [first, second] = await Promise.all(
      ['кофе в зернах', 'молотый кофе'].map((phrase) => payload.create({ collection: 'keywords', data: { phrase, project: t.project.id } as never })),
    )
    const doc = await beingWritten(t)
    await payload.update({ collection: 'articles', id: doc.id, context: SYSTEM_CONTEXT, data: { mainKeyword: first.id } as never })

    const swap = await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { mainKeyword: second.id } })
    expect(swap.status).toBe(409)
    expect(swap.json.errors[0].data).toMatchObject({ code: 'workflow.generating_keyword' })
    const graph = await gql(`mutation { updateArticle(id: ${doc.id}, data: { mainKeyword: ${second.id} }) { id } }`, { auth: t.auth })
    expect(graph.json.errors?.[0]?.message).toContain('is still being generated for its keyword')
    expect(idOf((await payload.findByID({ collection: 'articles', id: doc.id, depth: 0 })).mainKeyword)).toBe(first.id)
    // Other edits, and sending the same keyword back (as the admin's form does), still work.
    const rename = await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { title: 'Кофе в зернах: как выбрать', mainKeyword: first.id } })
    expect(rename.status, JSON.stringify(rename.json)).toBe(200)
  })

  it('a change request queues the rewrite, and the sent-back article cannot be resubmitted until the rewrite is done', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'owner' })
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: 'кофе для турки', project: t.project.id } as never })
    const doc = (await payload.create({
      collection: 'articles',
      context: SYSTEM_CONTEXT,
      data: { title: 'Кофе для турки', project: t.project.id, mainKeyword: keyword.id, body: lexical('Готовый текст.'), workflowStatus: 'in_review', generation: { state: 'done' } } as never,
    })) as Article

    const sendBack = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'changes_requested', note: 'Добавьте про помол' } })
    expect(sendBack.status).toBe(200)
    const key = jobKeyOf('article.generate', { accountId: t.account.id, projectId: t.project.id, keywordId: keyword.id, articleId: doc.id })!
    expect(await queuedJobId(key)).not.toBeNull()

    const resubmit = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'in_review' } })
    expect(resubmit.status).toBe(409)
    expect(resubmit.json.errors[0].message).toContain('is still being generated')
    expect(await statusOf(doc.id)).toBe('changes_requested')

    // A hand-written article sent back (no rewrite queued) is resubmitted as before.
    const own = await payload.create({ collection: 'articles', data: { title: 'Заметки', project: t.project.id, body: lexical('Текст.'), workflowStatus: 'in_review' } as never })
    expect((await rest('POST', `/articles/${own.id}/move`, { auth: t.auth, body: { to: 'changes_requested', note: 'Поправьте вступление' } })).status).toBe(200)
    expect((await rest('POST', `/articles/${own.id}/move`, { auth: t.auth, body: { to: 'in_review' } })).status).toBe(200)
  })
})
