import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'

import config from '@payload-config'
import { sql } from '@payloadcms/db-postgres'
import { getPayload } from 'payload'

import { settlePayment } from '../../src/billing/payments'
import { recordWebhook } from '../../src/lib/telemetry/webhookStats'
import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'

/** Data for the browser tests: an editor, two customers with API keys, articles waiting for review. */
const payload = await getPayload({ config })
const editor = { email: `editor-${Date.now()}@staff.test`, password: 'e2e editor password' }
await payload.create({ collection: 'users', data: { ...editor, name: 'Eva Editor', roles: ['editor'] } })
const admin = { email: `admin-${Date.now()}@staff.test`, password: 'e2e admin password' }
await payload.create({ collection: 'users', data: { ...admin, name: 'Ada Admin', roles: ['admin'] } })

async function tenant(name: string, telegramId: number) {
  const apiKey = randomBytes(24).toString('hex')
  const account = await payload.create({
    collection: 'accounts',
    data: { telegramId, displayName: name, language: 'en', timezone: 'Europe/Moscow', plan: 'free', status: 'active', enableAPIKey: true, apiKey },
  })
  const project = await payload.create({ collection: 'projects', data: { name: `${name} site`, account: account.id, timezone: 'Europe/Moscow', language: 'en', reviewPolicy: 'staff' } })
  return { apiKey, accountId: account.id, projectId: project.id }
}

const a = await tenant('Alpha Coffee', 900000001 + Math.floor(Math.random() * 1e6))
const b = await tenant('Beta Tea', 910000001 + Math.floor(Math.random() * 1e6))
const article = (title: string, projectId: number) =>
  payload.create({ collection: 'articles', context: SYSTEM_CONTEXT, data: { title, project: projectId, workflowStatus: 'in_review' } as never })
const toApprove = await article('How to choose coffee beans', a.projectId)
const toChange = await article('Grind size for a cezve', a.projectId)
const other = await article('Oolong brewing guide', b.projectId)

const editorUser = (await payload.find({ collection: 'users', where: { email: { equals: editor.email } } })).docs[0]
const published = await article('Espresso at home', a.projectId)
await payload.update({ collection: 'articles', id: published.id, data: { workflowStatus: 'approved' }, user: editorUser, overrideAccess: false })
const blog = await payload.create({
  collection: 'connections',
  data: {
    displayName: 'Alpha blog',
    platform: 'wordpress',
    project: a.projectId,
    credentials: { siteUrl: 'https://alpha.example', username: 'alpha', applicationPassword: 'abcd efgh ijkl mnop' },
  } as never,
})
const failed = await payload.create({
  collection: 'publications',
  data: { project: a.projectId, connection: blog.id, article: published.id, plannedAt: new Date().toISOString() } as never,
})
await payload.update({
  collection: 'publications',
  id: failed.id,
  context: SYSTEM_CONTEXT,
  data: { status: 'failed', lastError: 'WordPress refused the application password. Create a new one and reconnect.' },
})

// --- staff of the dashboard and billing browser tests (A5): their own sign-ins, so the sign-in
// limit per address and email (5 at once) the other tests spend on the editor is not shared.
const billingAdmin = { email: `billing-admin-${Date.now()}@staff.test`, password: 'e2e billing admin password' }
await payload.create({ collection: 'users', data: { ...billingAdmin, name: 'Bea Billing', roles: ['admin'] } })
const dashboardEditor = { email: `dashboard-editor-${Date.now()}@staff.test`, password: 'e2e dashboard editor password' }
await payload.create({ collection: 'users', data: { ...dashboardEditor, name: 'Dana Dashboard', roles: ['editor'] } })

// --- dashboard figures (A5): a third customer whose last days hold content, review decisions,
// AI runs and publications, dated back with SQL so the charts have more than one day.
const dashboard = await tenant('Gamma Books', 920000001 + Math.floor(Math.random() * 1e6))
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
const backdate = (table: string, id: number, n: number) =>
  payload.db.drizzle.execute(sql`update ${sql.identifier(table)} set created_at = ${daysAgo(n)}::timestamptz, updated_at = ${daysAgo(n)}::timestamptz where id = ${id}`)
const gammaBlog = await payload.create({
  collection: 'connections',
  data: {
    displayName: 'Gamma blog',
    platform: 'wordpress',
    project: dashboard.projectId,
    credentials: { siteUrl: 'https://gamma.example', username: 'gamma', applicationPassword: 'abcd efgh ijkl mnop' },
  } as never,
})
const publishedDays = new Set<number>()
const dashboardSeed = { articles: 0, approved: 0, changesRequested: 0, published: 0, aiCostUsd: 0 }
for (let n = 5; n >= 0; n--) {
  for (let k = 0; k < 1 + (n % 3); k++) {
    const doc = await article(`Reading list ${n}.${k}`, dashboard.projectId)
    await backdate('articles', doc.id, n)
    dashboardSeed.articles += 1
    for (let section = 0; section < 3; section++) {
      const costUsd = 0.004 + 0.001 * n + 0.0005 * section
      const run = await payload.create({
        collection: 'ai-runs',
        data: { task: 'article.section', model: 'fake/model', outcome: 'ok', inputTokens: 900, outputTokens: 700, costUsd, latencyMs: 20_000 + 3_000 * section, account: dashboard.accountId, project: dashboard.projectId, article: doc.id } as never,
      })
      await backdate('ai_runs', run.id, n)
      dashboardSeed.aiCostUsd += costUsd
    }
    const requestChanges = k === 1
    await payload.update({
      collection: 'articles',
      id: doc.id,
      data: requestChanges ? { workflowStatus: 'changes_requested', reviewNote: 'Shorter intro, please' } : { workflowStatus: 'approved' },
      user: editorUser,
      overrideAccess: false,
    })
    if (requestChanges) dashboardSeed.changesRequested += 1
    else dashboardSeed.approved += 1
    await payload.db.drizzle.execute(sql`update workflow_events set created_at = ${daysAgo(n)}::timestamptz where id in (select parent_id from workflow_events_rels where articles_id = ${doc.id})`)
    if (!requestChanges && n % 2 === 0) {
      const publication = await payload.create({
        collection: 'publications',
        data: { project: dashboard.projectId, connection: gammaBlog.id, article: doc.id, plannedAt: daysAgo(n) } as never,
      })
      await payload.update({ collection: 'publications', id: publication.id, context: SYSTEM_CONTEXT, data: { status: 'published', remoteUrl: `https://gamma.example/?p=${doc.id}` } })
      await backdate('publications', publication.id, n)
      dashboardSeed.published += 1
      publishedDays.add(n)
    }
    // The word count the generation pipeline keeps (every save derives it from the body, empty here).
    await payload.db.drizzle.execute(sql`update articles set word_count = ${900 + 150 * n + 40 * k} where id = ${doc.id}`)
  }
}
// Last seen (src/accounts/lastSeen.ts keeps it): Gamma an hour ago, Beta twelve days ago.
await payload.db.drizzle.execute(sql`update accounts set last_seen_at = now() - interval '1 hour' where id = ${dashboard.accountId}`)
await payload.db.drizzle.execute(sql`update accounts set last_seen_at = now() - interval '12 days' where id = ${b.accountId}`)
// The webhook's latency rollup as the web processes write it (src/lib/telemetry/webhookStats.ts):
// 60 updates over the last six hours, 2 of them failed.
for (let i = 0; i < 60; i++) await recordWebhook(8 + (i % 10) * 12, i % 30 === 0, Date.now() - (i % 6) * 3_600_000)
const webhookSeed = { updates: 60, failed: 2 }
// --- end of dashboard figures

// --- billing (A5): a customer who bought a Stars pack (refunded in the admin by the billing
// browser test through the fake Bot API, which knows the charge: tests/e2e/fakes.ts), and the
// day's card payments the revenue chart shows, each settled through the billing core.
const buyer = await tenant('Delta Studio', 930000001 + Math.floor(Math.random() * 1e6))
const buyerAccount = await payload.findByID({ collection: 'accounts', id: buyer.accountId, depth: 0 })
const starsCharge = { chargeId: `stxE2E${randomBytes(12).toString('hex')}`, telegramId: Number(buyerAccount.telegramId), amount: 150, payload: 'pack:e2e-100' }
const settled = await settlePayment(payload, {
  provider: 'stars',
  providerPaymentId: `e2e-stars-${randomBytes(6).toString('hex')}`,
  chargeId: starsCharge.chargeId,
  amount: starsCharge.amount,
  currency: 'XTR',
  paidAt: new Date(),
  accountId: buyer.accountId,
  product: { kind: 'pack', code: 'e2e-100' },
  credits: 100,
})
const revenue = [
  { provider: 'yookassa', amount: 99_000, currency: 'RUB', code: 'e2e-500', credits: 500 },
  { provider: 'yookassa', amount: 49_000, currency: 'RUB', code: 'e2e-200', credits: 200 },
  { provider: 'stripe', amount: 1_900, currency: 'USD', code: 'e2e-200', credits: 200 },
] as const
for (const sale of revenue) {
  await settlePayment(payload, {
    provider: sale.provider,
    providerPaymentId: `e2e-${sale.provider}-${randomBytes(6).toString('hex')}`,
    amount: sale.amount,
    currency: sale.currency,
    paidAt: new Date(),
    accountId: b.accountId,
    product: { kind: 'pack', code: sale.code },
    credits: sale.credits,
  })
}
const billing = { buyer, starsPayment: settled.payment!.id, starsCharge, creditsBought: 100 }
// --- end of billing

writeFileSync(
  process.env.E2E_FIXTURES!,
  JSON.stringify({ editor, admin, a, b, articles: { toApprove: toApprove.id, toChange: toChange.id, other: other.id }, failedPublication: failed.id, dashboard: { ...dashboard, ...dashboardSeed, publishedDays: publishedDays.size, webhooks: webhookSeed }, billing, staff: { billingAdmin, dashboardEditor } }, null, 2),
)
await payload.destroy()
process.exit(0)
