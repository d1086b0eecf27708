import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'
import { TRANSITIONS, WORKFLOW_STATUSES, checkMove } from '../../src/workflow/transitions'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'

let payload: Payload
let editor: { auth: Auth; user: { id: number } }
let support: { auth: Auth }

beforeAll(async () => {
  payload = await testPayload()
  editor = await createStaff(payload, ['editor'])
  support = await createStaff(payload, ['support'])
})

async function article(tenant: Tenant, workflowStatus: 'draft' | 'in_review' = 'in_review') {
  return payload.create({
    collection: 'articles',
    data: { title: `Article ${Math.random()}`, project: tenant.project.id, body: lexical('Первый абзац.\n\nВторой абзац.'), workflowStatus } as never,
  })
}

async function events(id: number) {
  const { docs } = await payload.find({
    collection: 'workflow-events',
    where: { 'document.value': { equals: id }, 'document.relationTo': { equals: 'articles' } },
    sort: 'createdAt',
    depth: 0,
  })
  return docs
}

describe('the transition table', () => {
  it('has no move into draft except from review and archive, and none out of published but archive and (an edit) review', () => {
    expect(TRANSITIONS.filter((t) => t.from === 'published').map((t) => t.to)).toEqual(['in_review', 'archived'])
    expect(TRANSITIONS.filter((t) => t.to === 'published').map((t) => [t.from, t.by])).toEqual([['scheduled', ['system']]])
  })

  it('lets nobody but an approver approve', () => {
    for (const policy of ['staff', 'owner', 'automatic'] as const) {
      expect(checkMove('in_review', 'approved', { kind: 'editor' }, policy).ok).toBe(true)
      expect(checkMove('in_review', 'approved', { kind: 'other' }, policy).ok).toBe(false)
    }
    expect(checkMove('in_review', 'approved', { kind: 'owner' }, 'staff').ok).toBe(false)
    expect(checkMove('in_review', 'approved', { kind: 'owner' }, 'owner').ok).toBe(true)
    expect(checkMove('in_review', 'approved', { kind: 'system' }, 'staff').ok).toBe(false)
    expect(checkMove('in_review', 'approved', { kind: 'system' }, 'automatic').ok).toBe(true)
  })

  it('never skips review: draft cannot reach approved, scheduled or published directly', () => {
    for (const to of ['approved', 'scheduled', 'published'] as const) {
      for (const kind of ['editor', 'owner', 'system'] as const) {
        expect(checkMove('draft', to, { kind }, 'automatic').ok).toBe(false)
      }
    }
    expect(WORKFLOW_STATUSES).toHaveLength(8)
  })
})

describe('review gate over REST', () => {
  it('staff policy: the owner submits, cannot approve, an editor approves, and every move is recorded', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'staff' })
    const doc = await article(t, 'draft')
    const submit = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'in_review' } })
    expect(submit.status).toBe(200)
    expect(submit.json.doc.submittedAt).toBeTruthy()

    const selfApprove = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'approved' } })
    expect(selfApprove.status).toBe(403)
    expect(selfApprove.json.errors[0].message).toMatch(/editors approve/)

    const approve = await rest('POST', `/articles/${doc.id}/move`, { auth: editor.auth, body: { to: 'approved' } })
    expect(approve.status).toBe(200)
    expect(approve.json.doc.workflowStatus).toBe('approved')

    const trail = await events(doc.id)
    expect(trail.map((e) => [e.from, e.to, e.actorKind])).toEqual([
      ['draft', 'in_review', 'account'],
      ['in_review', 'approved', 'staff'],
    ])
    expect(trail[1].staffUser).toBe(editor.user.id)
  })

  it('requesting changes needs a note, which is kept on the item and in the trail', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    // Staff have no language of their own: API errors follow Accept-Language (else Russian).
    const noNote = await rest('POST', `/articles/${doc.id}/move`, { auth: editor.auth, body: { to: 'changes_requested' }, lang: 'en' })
    expect(noNote.status).toBe(422)
    expect(noNote.json.errors[0].message).toMatch(/note/i)

    const res = await rest('POST', `/articles/${doc.id}/move`, {
      auth: editor.auth,
      body: { to: 'changes_requested', note: 'Добавьте цены и сравнительную таблицу' },
    })
    expect(res.status).toBe(200)
    const fresh = await payload.findByID({ collection: 'articles', id: doc.id })
    expect(fresh.workflowStatus).toBe('changes_requested')
    expect(fresh.reviewNote).toBe('Добавьте цены и сравнительную таблицу')
    const trail = await events(doc.id)
    expect(trail.at(-1)).toMatchObject({ from: 'in_review', to: 'changes_requested', note: 'Добавьте цены и сравнительную таблицу' })
  })

  it('an illegal move is a 409 that names the allowed ones, in the account language', async () => {
    const t = await createTenant(payload)
    await payload.update({ collection: 'accounts', id: t.account.id, data: { language: 'ru' } })
    const doc = await article(t, 'draft')
    const res = await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { workflowStatus: 'published' } })
    expect(res.status).toBe(409)
    expect(res.json.errors[0].message).toContain('Нельзя перевести материал из статуса «черновик» в «опубликовано»')
    expect(res.json.errors[0].message).toContain('на проверке')
    expect((await payload.findByID({ collection: 'articles', id: doc.id })).workflowStatus).toBe('draft')
  })

  it('support staff can read the queue but cannot decide', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    const read = await rest('GET', `/articles/${doc.id}`, { auth: support.auth })
    expect(read.status).toBe(200)
    const res = await rest('POST', `/articles/${doc.id}/move`, { auth: support.auth, body: { to: 'approved' } })
    expect(res.status).toBe(403)
    expect((await payload.findByID({ collection: 'articles', id: doc.id })).workflowStatus).toBe('in_review')
  })

  it('owner policy lets the owner approve; only the system publishes', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'owner' })
    const doc = await article(t)
    expect((await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'approved' } })).status).toBe(200)
    expect((await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'scheduled' } })).status).toBe(200)
    const publish = await rest('POST', `/articles/${doc.id}/move`, { auth: editor.auth, body: { to: 'published' }, lang: 'en' })
    expect(publish.status).toBe(403)
    expect(publish.json.errors[0].message).toMatch(/publishing system/)
    const sys = await payload.update({ collection: 'articles', id: doc.id, data: { workflowStatus: 'published' }, context: SYSTEM_CONTEXT })
    expect(sys.workflowStatus).toBe('published')
  })

  it('automatic policy approves on submission, recorded as the system', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'automatic' })
    const doc = await article(t, 'draft')
    const res = await rest('POST', `/articles/${doc.id}/move`, { auth: t.auth, body: { to: 'in_review' } })
    expect(res.json.doc.workflowStatus).toBe('approved')
    expect((await events(doc.id)).map((e) => [e.from, e.to, e.actorKind])).toEqual([
      ['draft', 'in_review', 'account'],
      ['in_review', 'approved', 'system'],
    ])
  })

  it('editing approved content sends it back to review; editing only the note does not', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    await rest('POST', `/articles/${doc.id}/move`, { auth: editor.auth, body: { to: 'approved' } })
    const noteOnly = await rest('PATCH', `/articles/${doc.id}`, { auth: editor.auth, body: { reviewNote: 'Looks good' } })
    expect(noteOnly.json.doc.workflowStatus).toBe('approved')

    const edit = await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { title: 'A better title' } })
    expect(edit.status).toBe(200)
    expect(edit.json.doc.workflowStatus).toBe('in_review')
    expect((await events(doc.id)).at(-1)).toMatchObject({ from: 'approved', to: 'in_review', actorKind: 'account' })
  })

  it('keeps every edit as a version that can be compared', async () => {
    const t = await createTenant(payload)
    const doc = await article(t, 'draft')
    await rest('PATCH', `/articles/${doc.id}`, { auth: t.auth, body: { title: 'Second title' } })
    const versions = await payload.findVersions({ collection: 'articles', where: { parent: { equals: doc.id } }, sort: 'createdAt' })
    expect(versions.docs.map((v) => v.version.title)).toEqual([doc.title, 'Second title'])
  })

  it('counts words of the body', async () => {
    const t = await createTenant(payload)
    const doc = await article(t, 'draft')
    expect(doc.wordCount).toBe(4)
  })

  it('new content cannot be created already approved', async () => {
    const t = await createTenant(payload)
    const res = await rest('POST', '/articles', { auth: t.auth, body: { title: 'x', project: t.project.id, workflowStatus: 'approved' } })
    expect(res.status).toBe(422)
  })
})

describe('review gate over GraphQL and for publications', () => {
  it('GraphQL cannot self-approve under the staff policy', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    const res = await gql(`mutation { updateArticle(id: ${doc.id}, data: { workflowStatus: approved }) { id workflowStatus } }`, { auth: t.auth })
    expect(res.json.errors?.[0]?.message).toMatch(/editors approve/)
    expect((await payload.findByID({ collection: 'articles', id: doc.id })).workflowStatus).toBe('in_review')
  })

  it('a publication cannot be planned for content that is not approved', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    const connection = await payload.create({
      collection: 'connections',
      data: { displayName: 'Channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@postforge_demo' } } as never,
    })
    const res = await rest('POST', '/publications', {
      auth: editor.auth,
      body: { project: t.project.id, connection: connection.id, article: doc.id, plannedAt: new Date().toISOString() },
      lang: 'en',
    })
    expect(res.status).toBe(409)
    expect(res.json.errors[0].message).toMatch(/Only approved content/)
  })

  it('an account can cancel its queued publication and change nothing else', async () => {
    const t = await createTenant(payload)
    const doc = await article(t)
    await rest('POST', `/articles/${doc.id}/move`, { auth: editor.auth, body: { to: 'approved' } })
    const connection = await payload.create({
      collection: 'connections',
      data: { displayName: 'Channel', platform: 'telegram', project: t.project.id, credentials: { chatId: '@postforge_demo' } } as never,
    })
    const pub = await payload.create({
      collection: 'publications',
      data: { project: t.project.id, connection: connection.id, article: doc.id, plannedAt: new Date(Date.now() + 60_000).toISOString() } as never,
    })
    const sneaky = await rest('PATCH', `/publications/${pub.id}`, { auth: t.auth, body: { status: 'published', remoteId: '1' } })
    expect(sneaky.status).toBe(403)
    const cancel = await rest('PATCH', `/publications/${pub.id}`, { auth: t.auth, body: { status: 'cancelled' } })
    expect(cancel.status).toBe(200)
    expect(cancel.json.doc.status).toBe('cancelled')
  })
})
