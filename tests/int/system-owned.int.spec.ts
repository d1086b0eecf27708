import sharp from 'sharp'
import type { Field, Payload, SanitizedCollectionConfig } from 'payload'
import { formatNames, toWords } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import type { Article } from '../../src/payload-types'
import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'
import { createStaff, createTenant, lexical, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'
import { gql, rest, type Auth } from '../helpers/rest'

/**
 * Fields the system owns (AI progress and output, derived numbers, workflow bookkeeping; marked
 * with systemOwned() in the config) are written by nobody through the API. The tester's attack:
 * a customer PATCHed `generation.state: done` on a half-written article and moved it to review.
 */
let payload: Payload
let editor: { auth: Auth }

beforeAll(async () => {
  payload = await testPayload()
  editor = await createStaff(payload, ['editor'])
})

type Owned = { collection: string; field: Field & { name: string } }

/** Every top-level (data) field marked systemOwned in the config, through tabs/rows/collapsibles. */
function systemOwnedFields(collection: SanitizedCollectionConfig): Owned[] {
  const found: Owned[] = []
  const walk = (fields: Field[]) => {
    for (const field of fields) {
      if (field.type === 'tabs') for (const tab of field.tabs) walk(tab.fields)
      else if ((field.type === 'row' || field.type === 'collapsible') && 'fields' in field) walk(field.fields)
      else if ('name' in field && (field.custom as { systemOwned?: boolean } | undefined)?.systemOwned)
        found.push({ collection: collection.slug, field: field as Owned['field'] })
    }
  }
  walk(collection.fields)
  return found
}

/** A value of the field's type that differs from what the system wrote. */
function valueFor(field: Field): unknown {
  switch (field.type) {
    case 'text':
    case 'textarea':
      return 'written by the customer'
    case 'number':
      return 4242
    case 'checkbox':
      return true
    case 'date':
      return '2001-02-03T04:05:06.000Z'
    case 'json':
      return { forged: true }
    case 'select':
      return typeof field.options[field.options.length - 1] === 'string' ? field.options.at(-1) : (field.options.at(-1) as { value: string }).value
    case 'group':
      return Object.fromEntries(field.fields.flatMap((f) => ('name' in f && valueFor(f) !== undefined ? [[f.name, valueFor(f)]] : [])))
    case 'array':
      return [Object.fromEntries(field.fields.flatMap((f) => ('name' in f && valueFor(f) !== undefined ? [[f.name, valueFor(f)]] : [])))]
    default:
      return undefined // relationships: the tenant-isolation invariant covers them
  }
}

function graphqlNames(collection: SanitizedCollectionConfig) {
  const gqlConfig = (collection.graphQL || {}) as { singularName?: string }
  const singular = gqlConfig.singularName ? toWords(gqlConfig.singularName, true) : formatNames(collection.slug).singular
  return { singular, update: `update${singular}` }
}

/** One document of the collection in the tenant's project, as the system makes it. */
async function documentIn(slug: string, t: Tenant): Promise<number> {
  const data = { project: t.project.id }
  if (slug === 'articles') {
    const doc = await payload.create({
      collection: 'articles',
      context: SYSTEM_CONTEXT,
      data: { ...data, title: 'Системная статья', body: lexical('Раздел.'), generation: { state: 'sections', sections: [{ index: 0, heading: 'Первый', markdown: 'Раздел.' }] } } as never,
    })
    return doc.id
  }
  if (slug === 'posts') {
    const doc = await payload.create({ collection: 'posts', context: SYSTEM_CONTEXT, data: { ...data, title: 'Пост', variants: [{ platform: 'telegram', text: 'Текст' }], imageNote: 'no image' } as never })
    return doc.id
  }
  if (slug === 'media') {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a80c0' } }).png().toBuffer()
    const doc = await payload.create({ collection: 'media', data: { ...data, alt: 'Картинка', generatedFrom: 'a prompt' } as never, file: { data: png, mimetype: 'image/png', name: `so-${Date.now()}.png`, size: png.length } })
    return doc.id
  }
  // accounts.lastSeenAt (O6): the tenant's own account.
  if (slug === 'accounts') return t.account.id
  // support-messages.photoFileId (the bot's), deliveredAt, deliveryError (the notice job's): a customer's message.
  if (slug === 'support-messages') {
    const doc = await payload.create({ collection: 'support-messages', overrideAccess: true, data: { account: t.account.id, direction: 'in', text: 'Помогите', photoFileId: 'bot-file' } })
    return doc.id
  }
  throw new Error(`the test does not know how to make a ${slug} document: add it to documentIn()`)
}

describe('fields the system owns', () => {
  it('a customer cannot mark a half-written article done and push it to review (REST and GraphQL)', async () => {
    const t = await createTenant(payload, { reviewPolicy: 'staff' })
    const id = await documentIn('articles', t)

    const patch = await rest('PATCH', `/articles/${id}`, { auth: t.auth, body: { generation: { state: 'done' } } })
    expect(patch.status, JSON.stringify(patch.json)).toBe(403)
    expect(patch.json.errors[0].data).toMatchObject({ code: 'field.forbidden', field: 'generation' })
    const graph = await gql(`mutation { updateArticle(id: ${id}, data: { generation: { state: done } }) { id } }`, { auth: t.auth })
    expect(graph.json.errors?.[0]?.extensions ?? graph.json.errors?.[0], JSON.stringify(graph.json)).toBeTruthy()
    expect(graph.json.data?.updateArticle ?? null).toBeNull()
    const article = (await payload.findByID({ collection: 'articles', id, depth: 0 })) as Article
    expect(article.generation?.state).toBe('sections')

    const move = await rest('POST', `/articles/${id}/move`, { auth: t.auth, body: { to: 'in_review' } })
    expect(move.status).toBe(409)
    expect(move.json.errors[0].data).toMatchObject({ code: 'workflow.generating' })
    expect((await payload.findByID({ collection: 'articles', id, depth: 0 })).workflowStatus).toBe('draft')

    // Nor create one that claims to be written already.
    const created = await rest('POST', '/articles', { auth: t.auth, body: { title: 'Готовая', project: t.project.id, generation: { state: 'done' } } })
    expect(created.status, JSON.stringify(created.json)).toBe(403)
    expect(created.json.errors[0].data).toMatchObject({ code: 'field.forbidden', field: 'generation' })
    const plain = await rest('POST', '/articles', { auth: t.auth, body: { title: 'Моя статья', project: t.project.id } })
    expect(plain.status, JSON.stringify(plain.json)).toBe(201)
    expect(plain.json.doc.generation.state).toBe('idle')
  })

  it('every system-owned field in the config keeps its value against a customer and staff, over REST and GraphQL', async () => {
    const owned = payload.config.collections.flatMap(systemOwnedFields)
    // The config marks what the AI job and the workflow own; losing the mark must fail here.
    for (const name of ['articles.generation', 'articles.quality', 'articles.faqJsonLd', 'articles.internalLinks', 'articles.wordCount', 'articles.submittedAt', 'posts.imageNote', 'posts.submittedAt', 'media.generatedFrom', 'support-messages.photoFileId'])
      expect(owned.map((o) => `${o.collection}.${o.field.name}`)).toContain(name)

    const t = await createTenant(payload, { reviewPolicy: 'staff' })
    for (const slug of [...new Set(owned.map((o) => o.collection))]) {
      const collection = payload.config.collections.find((c) => c.slug === slug)!
      const id = await documentIn(slug, t)
      const fields = owned.filter((o) => o.collection === slug && valueFor(o.field) !== undefined)
      const data = Object.fromEntries(fields.map((o) => [o.field.name, valueFor(o.field)]))
      const before = (await payload.findByID({ collection: slug as never, id, depth: 0 })) as Record<string, unknown>

      // Accounts are changed only by admins and support (an editor is refused the whole document):
      // support, who may change an account, is refused the field.
      const staff = slug === 'accounts' || slug === 'support-messages' ? (await createStaff(payload, ['support'])).auth : editor.auth
      // Customers never update a support message (the row is refused whole); they create them,
      // and a create carrying a system-owned value is refused by the field.
      if (slug === 'support-messages') {
        for (const [name, value] of Object.entries(data)) {
          const post = await rest('POST', `/${slug}`, { auth: t.auth, body: { text: 'hi', [name]: value } })
          expect(post.status, `${slug}.${name}: ${JSON.stringify(post.json)}`).toBe(403)
          expect(post.json.errors[0].data).toMatchObject({ code: 'field.forbidden', field: name })
        }
      }
      for (const auth of slug === 'support-messages' ? [staff] : [t.auth, staff]) {
        for (const [name, value] of Object.entries(data)) {
          const patch = await rest('PATCH', `/${slug}/${id}`, { auth, body: { [name]: value } })
          expect(patch.status, `${slug}.${name}: ${JSON.stringify(patch.json)}`).toBe(403)
          expect(patch.json.errors[0].data).toMatchObject({ code: 'field.forbidden', field: name })
          const names = graphqlNames(collection)
          const graph = await gql(`mutation($data: mutation${names.singular}UpdateInput!) { ${names.update}(id: ${id}, data: $data) { id } }`, { auth, variables: { data: { [name]: value } } })
          expect(graph.json.errors?.length ?? 0, `GraphQL ${slug}.${name}: ${JSON.stringify(graph.json)}`).toBeGreaterThan(0)
        }
      }
      const after = (await payload.findByID({ collection: slug as never, id, depth: 0 })) as Record<string, unknown>
      for (const { field } of fields) {
        // accounts.lastSeenAt moves with the customer's own (refused) API-key requests: that is
        // their activity being recorded, not their write; the value they sent never lands.
        if (slug === 'accounts' && field.name === 'lastSeenAt') expect(after[field.name], `${slug}.${field.name}`).not.toBe(valueFor(field))
        else expect(JSON.stringify(after[field.name]), `${slug}.${field.name}`).toBe(JSON.stringify(before[field.name]))
      }
    }
  })

  it('staff saving an article in the admin, which sends the stored system fields back, is not refused', async () => {
    const t = await createTenant(payload)
    const id = await documentIn('articles', t)
    const stored = (await rest('GET', `/articles/${id}?depth=0`, { auth: editor.auth })).json
    const save = await rest('PATCH', `/articles/${id}`, {
      auth: editor.auth,
      body: { title: 'Новый заголовок', generation: { ...stored.generation, error: null }, quality: stored.quality, wordCount: stored.wordCount, submittedAt: stored.submittedAt ?? null },
    })
    expect(save.status, JSON.stringify(save.json)).toBe(200)
    expect(save.json.doc.title).toBe('Новый заголовок')
    expect(save.json.doc.generation.state).toBe('sections')
  })

  it('the pipeline (the system) still writes them', async () => {
    const t = await createTenant(payload)
    const id = await documentIn('articles', t)
    await payload.update({ collection: 'articles', id, context: SYSTEM_CONTEXT, data: { generation: { state: 'done' }, workflowStatus: 'in_review' } as never })
    const article = (await payload.findByID({ collection: 'articles', id, depth: 0 })) as Article
    expect(article.generation?.state).toBe('done')
    expect(article.submittedAt).toBeTruthy()
  })
})
