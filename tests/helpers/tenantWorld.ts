import type { Payload } from 'payload'

import { createPayment, createTenant, lexical, type Tenant } from './fixtures'

/** A real 1x1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

export type World = Tenant & { docs: Record<string, number[]> }

/**
 * One tenant with a document in every collection that holds tenant data, every relationship
 * filled with the tenant's own documents, and versions for the versioned ones: the material the
 * isolation invariant walks. A collection the config gains later and this builder does not fill
 * is reported by the invariant suite ("no fixture"), never silently skipped.
 */
export async function createWorld(payload: Payload, name: string, editor: { id: number }): Promise<World> {
  const tenant = await createTenant(payload, { name })
  const project = tenant.project.id
  const keyword = await payload.create({ collection: 'keywords', data: { phrase: `${name} secret phrase`, project } as never })
  const keyword2 = await payload.create({ collection: 'keywords', data: { phrase: `${name} second phrase`, project } as never })
  const media = await payload.create({
    collection: 'media',
    data: { alt: `${name} private image`, project } as never,
    file: { data: PNG, mimetype: 'image/png', name: `${name.toLowerCase()}-pixel.png`, size: PNG.length },
  })
  const article = await payload.create({
    collection: 'articles',
    data: {
      title: `${name} article`,
      project,
      body: lexical(`${name} confidential body`),
      faq: [{ question: `${name} question?`, answer: `${name} answer` }],
      images: [media.id],
      mainKeyword: keyword.id,
      secondaryKeywords: [keyword2.id],
      workflowStatus: 'in_review',
    } as never,
  })
  const staff = { ...editor, collection: 'users', roles: ['editor'] } as never
  await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: staff, overrideAccess: false })
  const article2 = await payload.create({
    collection: 'articles',
    data: { title: `${name} similar`, project, quality: { similarTo: article.id } } as never,
  })
  const post = await payload.create({
    collection: 'posts',
    data: {
      title: `${name} post`,
      project,
      variants: [{ platform: 'telegram', text: `${name} post text` }],
      media: [media.id],
      article: article.id,
      keyword: keyword.id,
    } as never,
  })
  await payload.update({ collection: 'posts', id: post.id, data: { title: `${name} post, edited` } })
  const connection = await payload.create({
    collection: 'connections',
    data: {
      displayName: `${name} blog`,
      platform: 'wordpress',
      project,
      credentials: { siteUrl: `https://${name.toLowerCase()}.example`, username: 'u', applicationPassword: 'abcd efgh ijkl mnop' },
    } as never,
  })
  const schedule = await payload.create({
    collection: 'schedules',
    data: { name: `${name} schedule`, project, connections: [connection.id], cadence: 'interval', intervalMinutes: 60, active: false } as never,
  })
  const publication = await payload.create({
    collection: 'publications',
    data: {
      project,
      connection: connection.id,
      article: article.id,
      schedule: schedule.id,
      plannedAt: new Date(Date.now() + 86_400_000).toISOString(),
    } as never,
  })
  const prompt = await payload.find({ collection: 'prompts', limit: 1, depth: 0 })
  const run = await payload.create({
    collection: 'ai-runs',
    data: {
      task: 'article',
      model: 'fake/model',
      outcome: 'ok',
      latencyMs: 1,
      account: tenant.account.id,
      project,
      article: article.id,
      post: post.id,
      prompt: prompt.docs[0]?.id,
    } as never,
  })
  // O8: the account's support thread (a reply would queue a notice, so only the customer's message).
  const supportIn = await payload.create({ collection: 'support-messages', data: { account: tenant.account.id, direction: 'in', text: `${name} private question` } as never })
  // B2 billing: a paid pack, its ledger row (pointing at the payment) and a plan subscription.
  const payment = await createPayment(payload, tenant.account.id, { providerPaymentId: `${name}-${tenant.account.id}-pay`, amount: 29_000, credits: 100 })
  const ledger = await payload.create({
    collection: 'credit-ledger',
    data: { account: tenant.account.id, kind: 'purchase', credits: 100, reason: `${name} private purchase`, payment: payment.id, idempotencyKey: `world:${tenant.account.id}` } as never,
  })
  const subscription = await payload.create({
    collection: 'subscriptions',
    data: { account: tenant.account.id, provider: 'stripe', providerSubscriptionId: `${name}-${tenant.account.id}-sub`, planCode: 'pro', status: 'active' } as never,
  })
  const events = await payload.find({ collection: 'workflow-events', where: { account: { equals: tenant.account.id } }, depth: 0 })
  return {
    ...tenant,
    docs: {
      accounts: [tenant.account.id],
      projects: [project],
      keywords: [keyword.id, keyword2.id],
      media: [media.id],
      articles: [article.id, article2.id],
      posts: [post.id],
      connections: [connection.id],
      schedules: [schedule.id],
      publications: [publication.id],
      'ai-runs': [run.id],
      'support-messages': [supportIn.id],
      'workflow-events': events.docs.map((e) => e.id),
      payments: [payment.id],
      'credit-ledger': [ledger.id],
      subscriptions: [subscription.id],
    },
  }
}
