import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest } from '../helpers/rest'

/**
 * Account A, holding a valid API key, must not reach anything of account B over REST or GraphQL,
 * and nobody (staff included) can read connection credentials back.
 */
let payload: Payload
let a: Tenant
let b: Tenant
const bDocs: Record<string, number> = {}

beforeAll(async () => {
  payload = await testPayload()
  a = await createTenant(payload, { name: 'Alpha' })
  b = await createTenant(payload, { name: 'Beta' })
  const keyword = await payload.create({ collection: 'keywords', data: { phrase: 'купить слона', project: b.project.id } as never })
  const article = await payload.create({
    collection: 'articles',
    data: { title: 'Beta article', project: b.project.id, workflowStatus: 'in_review' } as never,
  })
  const post = await payload.create({
    collection: 'posts',
    data: { title: 'Beta post', project: b.project.id, variants: [{ platform: 'telegram', text: 'Hello' }] } as never,
  })
  const connection = await payload.create({
    collection: 'connections',
    data: {
      displayName: 'Beta blog',
      platform: 'wordpress',
      project: b.project.id,
      credentials: { siteUrl: 'https://beta.example', username: 'beta', applicationPassword: 'abcd efgh ijkl mnop' },
    } as never,
  })
  await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: (await createStaff(payload, ['editor'])).user, overrideAccess: false })
  const publication = await payload.create({
    collection: 'publications',
    data: { project: b.project.id, connection: connection.id, article: article.id, plannedAt: new Date(Date.now() + 3600_000).toISOString() } as never,
  })
  Object.assign(bDocs, {
    projects: b.project.id,
    keywords: keyword.id,
    articles: article.id,
    posts: post.id,
    connections: connection.id,
    publications: publication.id,
  })
})

/** A real 1x1 PNG as a multipart upload, with the document fields in Payload's `_payload` part. */
function pngUpload(fields: Record<string, unknown>): FormData {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  )
  const form = new FormData()
  form.append('file', new Blob([png], { type: 'image/png' }), `pixel-${Date.now()}.png`)
  form.append('_payload', JSON.stringify(fields))
  return form
}

const COLLECTIONS = ['projects', 'keywords', 'articles', 'posts', 'connections', 'publications'] as const

describe('REST: account A against account B', () => {
  it.each(COLLECTIONS)('cannot list B %s', async (collection) => {
    const res = await rest('GET', `/${collection}?limit=100`, { auth: a.auth })
    expect(res.status).toBe(200)
    const ids = res.json.docs.map((d: { id: number }) => d.id)
    expect(ids).not.toContain(bDocs[collection])
    for (const doc of res.json.docs) expect(doc.account?.id ?? doc.account).toBe(a.account.id)
  })

  it.each(COLLECTIONS)('cannot read one of B %s by id', async (collection) => {
    const res = await rest('GET', `/${collection}/${bDocs[collection]}`, { auth: a.auth })
    expect([403, 404]).toContain(res.status)
  })

  it.each(COLLECTIONS)('cannot update B %s', async (collection) => {
    const res = await rest('PATCH', `/${collection}/${bDocs[collection]}`, { auth: a.auth, body: { name: 'pwned', title: 'pwned', phrase: 'pwned', displayName: 'pwned' } })
    expect([403, 404]).toContain(res.status)
    const fresh = await payload.findByID({ collection, id: bDocs[collection], depth: 0 })
    expect(JSON.stringify(fresh)).not.toContain('pwned')
  })

  it.each(COLLECTIONS)('cannot delete B %s', async (collection) => {
    const res = await rest('DELETE', `/${collection}/${bDocs[collection]}`, { auth: a.auth })
    expect([403, 404]).toContain(res.status)
    await expect(payload.findByID({ collection, id: bDocs[collection], depth: 0 })).resolves.toBeTruthy()
  })

  it('cannot bulk-update B rows through a where clause', async () => {
    const res = await rest('PATCH', `/projects?where[id][equals]=${b.project.id}`, { auth: a.auth, body: { name: 'pwned' } })
    expect(res.json.docs ?? []).toHaveLength(0)
    const fresh = await payload.findByID({ collection: 'projects', id: b.project.id })
    expect(fresh.name).toBe('Beta project')
  })

  it('cannot move B content through the workflow', async () => {
    const before = await payload.findByID({ collection: 'articles', id: bDocs.articles })
    expect(before.workflowStatus).toBe('scheduled')
    const res = await rest('POST', `/articles/${bDocs.articles}/move`, { auth: a.auth, body: { to: 'archived' } })
    expect([403, 404]).toContain(res.status)
    const fresh = await payload.findByID({ collection: 'articles', id: bDocs.articles })
    expect(fresh.workflowStatus).toBe('scheduled')
  })

  it.each(['keywords', 'articles', 'posts', 'connections', 'media'] as const)(
    'cannot create %s inside B project',
    async (collection) => {
      const body = {
        phrase: 'чужой ключ',
        title: 'Injected',
        displayName: 'Injected',
        platform: 'vk',
        credentials: { groupId: 1, accessToken: 'x'.repeat(20) },
        variants: [{ platform: 'vk', text: 'x' }],
        alt: 'x',
        project: b.project.id,
      }
      const res =
        collection === 'media'
          ? await rest('POST', '/media', { auth: a.auth, form: pngUpload(body) })
          : await rest('POST', `/${collection}`, { auth: a.auth, body })
      expect([403, 404]).toContain(res.status)
      const { totalDocs } = await payload.count({ collection, where: { project: { equals: b.project.id }, account: { not_equals: b.account.id } } })
      expect(totalDocs).toBe(0)
    },
  )

  it('cannot create a project owned by B', async () => {
    const res = await rest('POST', '/projects', { auth: a.auth, body: { name: 'Sneaky', account: b.account.id, timezone: 'UTC' } })
    expect(res.status).toBe(201)
    expect(res.json.doc.account.id ?? res.json.doc.account).toBe(a.account.id)
  })

  it('cannot re-home its own keyword into B project', async () => {
    const own = await payload.create({ collection: 'keywords', data: { phrase: 'свой ключ', project: a.project.id } as never })
    const res = await rest('PATCH', `/keywords/${own.id}`, { auth: a.auth, body: { project: b.project.id } })
    expect(res.status).toBe(403)
    const fresh = await payload.findByID({ collection: 'keywords', id: own.id, depth: 0 })
    expect(fresh.project).toBe(a.project.id)
  })

  it('sees only itself among accounts', async () => {
    const res = await rest('GET', '/accounts?limit=100', { auth: a.auth })
    expect(res.json.docs.map((d: { id: number }) => d.id)).toEqual([a.account.id])
  })

  it('cannot raise its own plan: the whole write is a 403 naming the field, not a silent half-update', async () => {
    const res = await rest('PATCH', `/accounts/${a.account.id}`, { auth: a.auth, body: { plan: 'agency', language: 'ru' } })
    expect(res.status).toBe(403)
    expect(res.json.errors[0].message).toContain('"plan"')
    const fresh = await payload.findByID({ collection: 'accounts', id: a.account.id })
    expect(fresh.plan).toBe('free')
    expect(fresh.language).toBe('en')
  })

  it('uploads media into its own project', async () => {
    const res = await rest('POST', '/media', { auth: a.auth, form: pngUpload({ alt: 'Pixel', project: a.project.id }) })
    expect(res.status).toBe(201)
    expect(res.json.doc.account.id ?? res.json.doc.account).toBe(a.account.id)
  })

  it('without credentials sees nothing', async () => {
    for (const collection of COLLECTIONS) {
      const res = await rest('GET', `/${collection}`)
      expect(res.status).toBe(403)
    }
  })
})

describe('GraphQL: account A against account B', () => {
  it('lists only its own projects and articles', async () => {
    const res = await gql('{ Projects(limit: 100) { docs { id name } } Articles(limit: 100) { docs { id } } }', { auth: a.auth })
    expect(res.json.errors).toBeUndefined()
    const projectIds = res.json.data.Projects.docs.map((d: { id: number }) => d.id)
    expect(projectIds).toContain(a.project.id)
    expect(projectIds).not.toContain(b.project.id)
    expect(res.json.data.Articles.docs.map((d: { id: number }) => d.id)).not.toContain(bDocs.articles)
  })

  it('cannot read B project by id', async () => {
    const res = await gql(`{ Project(id: ${b.project.id}) { id name } }`, { auth: a.auth })
    expect(res.json.data?.Project ?? null).toBeNull()
    expect(res.json.errors?.[0]?.message).toBeTruthy()
  })

  it('cannot update or delete B keyword', async () => {
    const upd = await gql(`mutation { updateKeyword(id: ${bDocs.keywords}, data: { phrase: "pwned" }) { id phrase } }`, { auth: a.auth })
    expect(upd.json.errors?.length).toBeGreaterThan(0)
    const del = await gql(`mutation { deleteKeyword(id: ${bDocs.keywords}) { id } }`, { auth: a.auth })
    expect(del.json.errors?.length).toBeGreaterThan(0)
    const fresh = await payload.findByID({ collection: 'keywords', id: bDocs.keywords })
    expect(fresh.phrase).toBe('купить слона')
  })

  it('cannot create an article inside B project', async () => {
    const res = await gql(`mutation { createArticle(data: { title: "Injected", project: ${b.project.id} }) { id } }`, { auth: a.auth })
    expect(res.json.errors?.length).toBeGreaterThan(0)
    const { totalDocs } = await payload.count({ collection: 'articles', where: { title: { equals: 'Injected' } } })
    expect(totalDocs).toBe(0)
  })
})

describe('connection credentials are write-only', () => {
  it('are stored sealed, never in plain text', async () => {
    const rows = await payload.db.drizzle.execute(`select credentials::text as c from connections where id = ${bDocs.connections}`)
    const stored = String((rows as unknown as { rows: { c: string }[] }).rows[0].c)
    expect(stored).not.toContain('abcd efgh')
    expect(stored).toContain('"v": 1')
  })

  it('are not returned to the owner over REST or GraphQL', async () => {
    const own = await payload.create({
      collection: 'connections',
      data: { displayName: 'Mine', platform: 'vk', project: a.project.id, credentials: { groupId: 42, accessToken: 'vk1.a.secret-token-value' } } as never,
    })
    const res = await rest('GET', `/connections/${own.id}`, { auth: a.auth })
    expect(res.status).toBe(200)
    expect(res.json.credentials).toBeUndefined()
    expect(JSON.stringify(res.json)).not.toContain('secret-token-value')
    expect(res.json.credentialsHint).toBe('club42 …alue')
    const q = await gql(`{ Connection(id: ${own.id}) { id credentials credentialsHint } }`, { auth: a.auth })
    expect(JSON.stringify(q.json)).not.toContain('secret-token-value')
  })

  it('are not returned to staff admins either', async () => {
    const admin = await createStaff(payload, ['admin'])
    const res = await rest('GET', `/connections/${bDocs.connections}`, { auth: admin.auth })
    expect(res.status).toBe(200)
    expect(JSON.stringify(res.json)).not.toContain('abcd efgh')
    expect(res.json.credentials).toBeUndefined()
    const q = await gql(`{ Connections { docs { id credentials } } }`, { auth: admin.auth })
    expect(JSON.stringify(q.json)).not.toContain('abcd efgh')
  })

  it('survive an update that does not mention them, and reject malformed ones with a clear error', async () => {
    const upd = await rest('PATCH', `/connections/${bDocs.connections}`, { auth: b.auth, body: { displayName: 'Renamed' } })
    expect(upd.status).toBe(200)
    const raw = await payload.findByID({ collection: 'connections', id: bDocs.connections, depth: 0 })
    expect(raw.credentials).toMatchObject({ v: 1 })
    const bad = await rest('PATCH', `/connections/${bDocs.connections}`, { auth: b.auth, body: { credentials: { siteUrl: 'nope' } } })
    expect(bad.status).toBe(422)
    expect(bad.json.errors[0].message).toMatch(/connection details are not valid/i)
  })
})
