import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { reloadEnv } from '../../src/lib/env'
import { publishOne } from '../../src/publishing/publish'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'
import { PNG } from '../helpers/tenantWorld'

/**
 * Nobody skips the review gate: a customer cannot choose its own review policy, whatever is
 * published is what was approved (a swapped image or keyword sends approved content back to
 * review), and a write to a field the caller may not set is refused out loud, never dropped.
 */
let payload: Payload
let editor: { auth: Auth; user: { id: number } }
let admin: { auth: Auth; user: { id: number } }
let tenant: Tenant

beforeAll(async () => {
  payload = await testPayload()
  editor = await createStaff(payload, ['editor'])
  admin = await createStaff(payload, ['admin'])
  tenant = await createTenant(payload, { name: 'Gate' })
})

const asEditor = () => ({ user: { ...editor.user, collection: 'users', roles: ['editor'] } as never, overrideAccess: false })

function upload(fields: Record<string, unknown>, name = `pixel-${Date.now()}.png`): FormData {
  const form = new FormData()
  form.append('file', new Blob([PNG], { type: 'image/png' }), name)
  form.append('_payload', JSON.stringify(fields))
  return form
}

describe('the review policy is staff business', () => {
  it.each(['owner', 'automatic'])('PATCH reviewPolicy=%s by the customer is a 403 naming the field, and nothing changes', async (policy) => {
    const res = await rest('PATCH', `/projects/${tenant.project.id}`, { auth: tenant.auth, body: { reviewPolicy: policy }, lang: 'en' })
    expect(res.status).toBe(403)
    expect(res.json.errors[0].message).toContain('reviewPolicy')
    const fresh = await payload.findByID({ collection: 'projects', id: tenant.project.id })
    expect(fresh.reviewPolicy).toBe('staff')
  })

  it('a customer cannot create a project with its own policy, over REST or GraphQL', async () => {
    const res = await rest('POST', '/projects', { auth: tenant.auth, body: { name: 'Self-approving', reviewPolicy: 'automatic', timezone: 'UTC' } })
    expect(res.status).toBe(403)
    const created = await gql(`mutation { createProject(data: { name: "Self-approving", reviewPolicy: owner, timezone: "UTC" }) { id reviewPolicy } }`, { auth: tenant.auth })
    expect(created.json.data?.createProject ?? null).toBeNull()
    expect(created.json.errors?.[0]?.message).toMatch(/reviewPolicy/)
    const { totalDocs } = await payload.count({ collection: 'projects', where: { name: { equals: 'Self-approving' } } })
    expect(totalDocs).toBe(0)
  })

  it('a customer creating a project with the default policy, or sending it back unchanged, is fine', async () => {
    const res = await rest('POST', '/projects', { auth: tenant.auth, body: { name: 'Plain', reviewPolicy: 'staff', timezone: 'UTC' } })
    expect(res.status).toBe(201)
    const same = await rest('PATCH', `/projects/${tenant.project.id}`, { auth: tenant.auth, body: { name: 'Renamed', reviewPolicy: 'staff' } })
    expect(same.status).toBe(200)
  })

  it('GraphQL updateProject with a policy is refused', async () => {
    const res = await gql(`mutation { updateProject(id: ${tenant.project.id}, data: { reviewPolicy: automatic }) { id reviewPolicy } }`, { auth: tenant.auth })
    expect(res.json.errors?.[0]?.message).toMatch(/reviewPolicy/)
    expect((await payload.findByID({ collection: 'projects', id: tenant.project.id })).reviewPolicy).toBe('staff')
  })

  it('then approving its own content is still refused; an editor may set the policy', async () => {
    const article = await payload.create({ collection: 'articles', data: { title: 'Mine', project: tenant.project.id, workflowStatus: 'in_review' } as never })
    await rest('PATCH', `/projects/${tenant.project.id}`, { auth: tenant.auth, body: { reviewPolicy: 'owner' } })
    const move = await rest('POST', `/articles/${article.id}/move`, { auth: tenant.auth, body: { to: 'approved' } })
    expect(move.status).toBe(403)
    const byEditor = await rest('PATCH', `/projects/${tenant.project.id}`, { auth: editor.auth, body: { reviewPolicy: 'owner' } })
    expect(byEditor.status).toBe(200)
    expect(byEditor.json.doc.reviewPolicy).toBe('owner')
    await payload.update({ collection: 'projects', id: tenant.project.id, data: { reviewPolicy: 'staff' } })
  })
})

describe('protected fields answer 403, never a silent 200', () => {
  it.each([
    ['plan', 'agency'],
    ['status', 'blocked'],
    ['telegramId', 42],
    ['verifiedHumanAt', '2020-01-01T00:00:00.000Z'],
  ])('account %s', async (field, value) => {
    const before = await payload.findByID({ collection: 'accounts', id: tenant.account.id })
    const res = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: tenant.auth, body: { [field]: value } })
    expect(res.status).toBe(403)
    // In the account's own language (English here), naming the field.
    expect(res.json.errors[0].message).toBe(`You may not change the field "${field}".`)
    const after = await payload.findByID({ collection: 'accounts', id: tenant.account.id })
    expect(after).toEqual(before)
  })

  it('the account may still change what is its own (display name, language)', async () => {
    const res = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: tenant.auth, body: { displayName: 'Gate 2', plan: 'free' } })
    expect(res.status).toBe(200)
    expect(res.json.doc.displayName).toBe('Gate 2')
  })

  it("a project's owner cannot be changed by the customer", async () => {
    const other = await createTenant(payload, { name: 'Other' })
    const res = await rest('PATCH', `/projects/${tenant.project.id}`, { auth: tenant.auth, body: { account: other.account.id } })
    expect(res.status).toBe(403)
    expect((await payload.findByID({ collection: 'projects', id: tenant.project.id, depth: 0 })).account).toBe(tenant.account.id)
  })

  it('an admin still sets the plan', async () => {
    const res = await rest('PATCH', `/accounts/${tenant.account.id}`, { auth: admin.auth, body: { plan: 'pro' } })
    expect(res.status).toBe(200)
    expect(res.json.doc.plan).toBe('pro')
  })
})

describe('a blocked account can do nothing', () => {
  it('cannot read or edit its own profile', async () => {
    const blocked = await createTenant(payload, { name: 'Blocked' })
    await payload.update({ collection: 'accounts', id: blocked.account.id, data: { status: 'blocked' } })
    const patch = await rest('PATCH', `/accounts/${blocked.account.id}`, { auth: blocked.auth, body: { displayName: 'Still here' } })
    expect([401, 403, 404]).toContain(patch.status)
    const read = await rest('GET', `/accounts/${blocked.account.id}`, { auth: blocked.auth })
    expect([401, 403, 404]).toContain(read.status)
    expect((await payload.findByID({ collection: 'accounts', id: blocked.account.id })).displayName).toBe('Blocked')
  })
})

describe('what approved content uses cannot change under the reviewer', () => {
  async function approvedWith(status: 'approved' | 'scheduled' = 'approved') {
    const media = await payload.create({
      collection: 'media',
      data: { alt: 'Original picture', project: tenant.project.id } as never,
      file: { data: PNG, mimetype: 'image/png', name: 'original.png', size: PNG.length },
    })
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: `approved phrase ${Math.random()}`, project: tenant.project.id } as never })
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Approved', project: tenant.project.id, body: lexical('Text'), images: [media.id], mainKeyword: keyword.id, workflowStatus: 'in_review' } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, ...asEditor() })
    const post = await payload.create({
      collection: 'posts',
      data: { title: 'Approved post', project: tenant.project.id, variants: [{ platform: 'telegram', text: 'Hi' }], media: [media.id], keyword: keyword.id, workflowStatus: 'in_review' } as never,
    })
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, ...asEditor() })
    if (status === 'scheduled') {
      await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'scheduled' } })
      await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'scheduled' } })
    }
    return { media, keyword, article, post }
  }

  const statusOf = async (collection: 'articles' | 'posts', id: number) =>
    (await payload.findByID({ collection, id, depth: 0 })).workflowStatus

  it('replacing the image file (PATCH /api/media/<id> with a new file) sends the article and post back to review', async () => {
    const { media, article, post } = await approvedWith('scheduled')
    const res = await rest('PATCH', `/media/${media.id}`, { auth: tenant.auth, form: upload({}, 'swapped.png') })
    expect(res.status).toBe(200)
    expect(await statusOf('articles', article.id)).toBe('in_review')
    expect(await statusOf('posts', post.id)).toBe('in_review')
    const { docs } = await payload.find({
      collection: 'workflow-events',
      where: { 'document.value': { equals: article.id }, to: { equals: 'in_review' } },
      sort: '-createdAt',
      depth: 0,
    })
    expect(docs[0].note).toMatch(/media|изображ|image/i)
  })

  it('changing the image alt text sends it back too', async () => {
    const { media, article } = await approvedWith()
    const res = await rest('PATCH', `/media/${media.id}`, { auth: tenant.auth, body: { alt: 'Something else' } })
    expect(res.status).toBe(200)
    expect(await statusOf('articles', article.id)).toBe('in_review')
  })

  it('renaming a keyword used by approved content sends that content back to review (REST and GraphQL)', async () => {
    const first = await approvedWith()
    const res = await rest('PATCH', `/keywords/${first.keyword.id}`, { auth: tenant.auth, body: { phrase: 'a different phrase' } })
    expect(res.status).toBe(200)
    expect(await statusOf('articles', first.article.id)).toBe('in_review')
    expect(await statusOf('posts', first.post.id)).toBe('in_review')

    const second = await approvedWith()
    const gqlRes = await gql(`mutation { updateKeyword(id: ${second.keyword.id}, data: { phrase: "another phrase" }) { id } }`, { auth: tenant.auth })
    expect(gqlRes.json.errors).toBeUndefined()
    expect(await statusOf('articles', second.article.id)).toBe('in_review')
  })

  it('deleting a used image or keyword sends the content back to review before it loses them', async () => {
    const { media, article, post } = await approvedWith('scheduled')
    const res = await rest('DELETE', `/media/${media.id}`, { auth: tenant.auth })
    expect(res.status).toBe(200)
    expect(await statusOf('articles', article.id)).toBe('in_review')
    expect(await statusOf('posts', post.id)).toBe('in_review')
    const other = await approvedWith()
    await rest('DELETE', `/keywords/${other.keyword.id}`, { auth: tenant.auth })
    expect(await statusOf('articles', other.article.id)).toBe('in_review')
  })

  it('changes that do not alter what is published (keyword status) leave approved content alone', async () => {
    const { keyword, article } = await approvedWith()
    await payload.update({ collection: 'keywords', id: keyword.id, data: { status: 'used' } })
    expect(await statusOf('articles', article.id)).toBe('approved')
  })

  it('a write that changes nothing (the same alt text, the same phrase) leaves approved content alone', async () => {
    const { media, keyword, article, post } = await approvedWith()
    expect((await rest('PATCH', `/media/${media.id}`, { auth: tenant.auth, body: { alt: 'Original picture' } })).status).toBe(200)
    expect((await rest('PATCH', `/keywords/${keyword.id}`, { auth: tenant.auth, body: { phrase: keyword.phrase, priority: 5 } })).status).toBe(200)
    expect(await statusOf('articles', article.id)).toBe('approved')
    expect(await statusOf('posts', post.id)).toBe('approved')
  })

  it('under the automatic policy nothing goes back', async () => {
    await payload.update({ collection: 'projects', id: tenant.project.id, data: { reviewPolicy: 'automatic' } })
    try {
      const { media, article } = await approvedWith()
      await rest('PATCH', `/media/${media.id}`, { auth: tenant.auth, body: { alt: 'Auto' } })
      expect(await statusOf('articles', article.id)).toBe('approved')
    } finally {
      await payload.update({ collection: 'projects', id: tenant.project.id, data: { reviewPolicy: 'staff' } })
    }
  })
})

describe('what the publisher sends is what was approved, also after the first publication', () => {
  let fake: Awaited<ReturnType<typeof startFakeTelegram>>
  const savedEnv = { ...process.env }
  let channels: number[]

  beforeAll(async () => {
    fake = await startFakeTelegram()
    Object.assign(process.env, { TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`, TELEGRAM_API_ROOT: fake.url, PUBLISH_HTTP_TIMEOUT_MS: '1000' })
    reloadEnv()
    channels = []
    for (const chatId of ['@pf_gate_one', '@pf_gate_two']) {
      const connection = await payload.create({
        collection: 'connections',
        data: { displayName: chatId, platform: 'telegram', project: tenant.project.id, credentials: { chatId } } as never,
      })
      channels.push(connection.id)
    }
  })

  afterAll(async () => {
    await fake?.close()
    process.env = savedEnv
    reloadEnv()
  })

  /** An approved post planned on both channels, the first publication already out. */
  async function publishedOnce(text: string) {
    const post = await payload.create({
      collection: 'posts',
      data: { title: 'Twice', project: tenant.project.id, variants: [{ platform: 'telegram', text }], workflowStatus: 'in_review' } as never,
    })
    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, ...asEditor() })
    const [first, second] = channels.map((connection) => ({ project: tenant.project.id, connection, post: post.id, plannedAt: new Date().toISOString() }))
    const pub1 = await payload.create({ collection: 'publications', data: first as never })
    const pub2 = await payload.create({ collection: 'publications', data: second as never })
    expect((await publishOne(payload, pub1.id)).result).toBe('published')
    expect((await payload.findByID({ collection: 'posts', id: post.id })).workflowStatus).toBe('published')
    return { post, pub2 }
  }

  const sent = (text: string) => fake.calls.filter((c) => c.method === 'sendMessage' && String(c.params.text ?? '').includes(text))

  it('unchanged published content still goes out on its other channel', async () => {
    const { pub2 } = await publishedOnce('Approved marker-g1')
    expect((await publishOne(payload, pub2.id)).result).toBe('published')
    expect(sent('Approved marker-g1')).toHaveLength(2)
  })

  it('a customer edit of published content sends it back to review; the pending publication is not sent; "Publish again" waits for approval', async () => {
    const { post, pub2 } = await publishedOnce('Approved marker-g2')
    const res = await rest('PATCH', `/posts/${post.id}`, { auth: tenant.auth, body: { variants: [{ platform: 'telegram', text: 'Unreviewed marker-g2' }] } })
    expect(res.status).toBe(200)
    expect(res.json.doc.workflowStatus).toBe('in_review')
    const { docs } = await payload.find({ collection: 'workflow-events', where: { 'document.value': { equals: post.id }, from: { equals: 'published' } }, depth: 0 })
    expect(docs.map((e) => e.to)).toEqual(['in_review'])

    const outcome = await publishOne(payload, pub2.id)
    expect(outcome.result).toBe('failed')
    expect(sent('Unreviewed marker-g2')).toHaveLength(0)
    const failed = await payload.findByID({ collection: 'publications', id: pub2.id })
    expect(failed.lastError).toMatch(/review|провер/i)

    const again = await rest('PATCH', `/publications/${pub2.id}`, { auth: tenant.auth, body: { status: 'queued' }, lang: 'en' })
    expect(again.status).toBe(409)
    expect(again.json.errors[0].message).toMatch(/review/i)
    expect((await payload.findByID({ collection: 'publications', id: pub2.id })).status).toBe('failed')

    await payload.update({ collection: 'posts', id: post.id, data: { workflowStatus: 'approved' }, ...asEditor() })
    const approved = await rest('PATCH', `/publications/${pub2.id}`, { auth: tenant.auth, body: { status: 'queued' } })
    expect(approved.status).toBe(200)
    expect((await publishOne(payload, pub2.id)).result).toBe('published')
    expect(sent('Unreviewed marker-g2')).toHaveLength(1)
  })

  it('an editor edit of published content goes back to review as well; the automatic policy keeps it published', async () => {
    const { post } = await publishedOnce('Approved marker-g3')
    const byEditor = await rest('PATCH', `/posts/${post.id}`, { auth: editor.auth, body: { variants: [{ platform: 'telegram', text: 'Edited marker-g3' }] } })
    expect(byEditor.json.doc.workflowStatus).toBe('in_review')
    const auto = await publishedOnce('Approved marker-g4')
    await payload.update({ collection: 'projects', id: tenant.project.id, data: { reviewPolicy: 'automatic' } })
    try {
      const res = await rest('PATCH', `/posts/${auto.post.id}`, { auth: tenant.auth, body: { variants: [{ platform: 'telegram', text: 'Auto marker-g4' }] } })
      expect(res.json.doc.workflowStatus).toBe('published')
    } finally {
      await payload.update({ collection: 'projects', id: tenant.project.id, data: { reviewPolicy: 'staff' } })
    }
  })
})

describe('everything of a keyword or image that is published counts', () => {
  it('changing the cluster of a keyword (the WordPress category) sends approved content back to review', async () => {
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: `cluster phrase ${Math.random()}`, cluster: 'Coffee', project: tenant.project.id } as never })
    const article = await payload.create({
      collection: 'articles',
      data: { title: 'Clustered', project: tenant.project.id, body: lexical('Text'), mainKeyword: keyword.id, workflowStatus: 'in_review' } as never,
    })
    await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, ...asEditor() })
    const res = await rest('PATCH', `/keywords/${keyword.id}`, { auth: tenant.auth, body: { cluster: 'Casino' } })
    expect(res.status).toBe(200)
    expect((await payload.findByID({ collection: 'articles', id: article.id })).workflowStatus).toBe('in_review')
  })

  it('a used keyword or image cannot move to another project (409 in the caller\'s language); an unused one can', async () => {
    const second = await payload.create({ collection: 'projects', data: { name: 'Second', account: tenant.account.id, timezone: 'UTC', language: 'ru' } as never })
    const media = await payload.create({
      collection: 'media',
      data: { alt: 'Used picture', project: tenant.project.id } as never,
      file: { data: PNG, mimetype: 'image/png', name: 'used.png', size: PNG.length },
    })
    const keyword = await payload.create({ collection: 'keywords', data: { phrase: `used phrase ${Math.random()}`, project: tenant.project.id } as never })
    await payload.create({
      collection: 'posts',
      data: { title: 'User', project: tenant.project.id, variants: [{ platform: 'telegram', text: 'Hi' }], media: [media.id], keyword: keyword.id } as never,
    })
    // Used only inside an article's text, as an embedded image.
    const inText = await payload.create({
      collection: 'media',
      data: { alt: 'In the text', project: tenant.project.id } as never,
      file: { data: PNG, mimetype: 'image/png', name: 'in-text.png', size: PNG.length },
    })
    const body = lexical('Intro')
    body.root.children.push({ type: 'upload', relationTo: 'media', value: inText.id, fields: null, format: '', version: 3 } as never)
    await payload.create({ collection: 'articles', data: { title: 'Embeds', project: tenant.project.id, body } as never })
    for (const [collection, id] of [['keywords', keyword.id], ['media', media.id], ['media', inText.id]] as const) {
      const res = await rest('PATCH', `/${collection}/${id}`, { auth: tenant.auth, body: { project: second.id }, lang: 'en' })
      expect(res.status, JSON.stringify(res.json)).toBe(409)
      expect(res.json.errors[0].message).toMatch(/used by/)
      const ru = await rest('PATCH', `/${collection}/${id}`, { auth: editor.auth, body: { project: second.id }, lang: 'ru' })
      expect(ru.status).toBe(409)
      expect(ru.json.errors[0].message).toMatch(/использу/)
      expect(Number((await payload.findByID({ collection, id, depth: 0 })).project)).toBe(tenant.project.id)
    }
    const unused = await payload.create({ collection: 'keywords', data: { phrase: `unused phrase ${Math.random()}`, project: tenant.project.id } as never })
    const moved = await rest('PATCH', `/keywords/${unused.id}`, { auth: tenant.auth, body: { project: second.id } })
    expect(moved.status).toBe(200)
  })
})

describe('API keys are admin business', () => {
  it('support cannot set a customer\'s API key or switch it; the account\'s own key keeps working; support still blocks and unblocks', async () => {
    const support = await createStaff(payload, ['support'])
    const victim = await createTenant(payload, { name: 'Keyed' })
    for (const body of [{ apiKey: 'support-chosen-key-0123456789' }, { enableAPIKey: false }]) {
      const res = await rest('PATCH', `/accounts/${victim.account.id}`, { auth: support.auth, body })
      expect(res.status, JSON.stringify(res.json)).toBe(403)
      expect(res.json.errors[0].message).toContain(Object.keys(body)[0])
    }
    const gqlRes = await gql(`mutation { updateAccount(id: ${victim.account.id}, data: { apiKey: "support-chosen-key-0123456789" }) { id } }`, { auth: support.auth })
    expect(gqlRes.json.errors?.[0]?.message).toMatch(/apiKey/)
    const asSupportKey = await rest('GET', `/accounts/${victim.account.id}`, { auth: { apiKey: { collection: 'accounts', key: 'support-chosen-key-0123456789' } } })
    expect(asSupportKey.status).not.toBe(200)
    expect((await rest('GET', `/accounts/${victim.account.id}`, { auth: victim.auth })).status).toBe(200)
    const block = await rest('PATCH', `/accounts/${victim.account.id}`, { auth: support.auth, body: { status: 'blocked' } })
    expect(block.status).toBe(200)
    const byAdmin = await rest('PATCH', `/accounts/${victim.account.id}`, { auth: admin.auth, body: { status: 'active', apiKey: 'admin-rotated-key-0123456789' } })
    expect(byAdmin.status).toBe(200)
    expect((await rest('GET', `/accounts/${victim.account.id}`, { auth: { apiKey: { collection: 'accounts', key: 'admin-rotated-key-0123456789' } } })).status).toBe(200)
  })
})
