import { randomBytes } from 'node:crypto'

import { Logger, runOnce } from 'graphile-worker'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t } from '../../src/i18n'
import { privacyExportTask } from '../../src/jobs/tasks/privacyExport'
import { resetProviders } from '../../src/billing/providers'
import { env, reloadEnv } from '../../src/lib/env'
import type { Account } from '../../src/payload-types'
import { resetTelegramClient } from '../../src/telegram/client'
import { createPayment, createStaff, lexical } from '../helpers/fixtures'
import { rest } from '../helpers/rest'
import { SUBSCRIPTION_PERIOD } from '../fakes/telegramPayments'
import { startHarness, TOKEN, accountOf, verifiedUser, type Harness } from './bot-harness'

/**
 * Data rights through the bot: "My data" exports everything the account owns as a JSON document
 * in the chat (built by the job), without credentials or anything of another account; deleting
 * the account needs "Continue" and the typed word, removes its data, keeps only anonymised
 * billing records, logs the deletion, and the same Telegram user is a new customer afterwards.
 */
const SCHEMA = 'pf_test_privacy'
const quiet = new Logger(() => () => {})
const savedEnv = { ...process.env }
let h: Harness
let payload: Payload
let editor: { id: number }

beforeAll(async () => {
  h = await startHarness('data-rights')
  payload = h.payload
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.url, GRAPHILE_WORKER_SCHEMA: SCHEMA })
  reloadEnv()
  resetTelegramClient()
  resetProviders()
  editor = (await createStaff(payload, ['editor'])).user
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  resetProviders()
  await h?.close()
})

const WP_PASSWORD = 'abcd efgh ijkl mnop'

/** What a customer of a few weeks owns: a project with content, a connection with a password, a schedule, a publication, a support thread. */
async function fill(account: Account, name: string) {
  const project = await payload.create({ collection: 'projects', data: { name: `${name} bakery`, account: account.id } as never, overrideAccess: true })
  const keyword = await payload.create({ collection: 'keywords', data: { phrase: `${name} sourdough recipe`, project: project.id } as never, overrideAccess: true })
  const article = await payload.create({ collection: 'articles', data: { title: `${name} how to bake`, project: project.id, body: lexical(`${name} body text`), mainKeyword: keyword.id, workflowStatus: 'in_review' } as never, overrideAccess: true })
  await payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: { ...editor, collection: 'users', roles: ['editor'] } as never, overrideAccess: false })
  const post = await payload.create({ collection: 'posts', data: { title: `${name} post`, project: project.id, variants: [{ platform: 'telegram', text: `${name} post text` }] } as never, overrideAccess: true })
  const connection = await payload.create({
    collection: 'connections',
    data: { displayName: `${name} blog`, platform: 'wordpress', project: project.id, credentials: { siteUrl: `https://${name.toLowerCase()}.example`, username: 'baker', applicationPassword: WP_PASSWORD } } as never,
    overrideAccess: true,
  })
  const schedule = await payload.create({ collection: 'schedules', data: { name: `${name} weekly`, project: project.id, connections: [connection.id], cadence: 'interval', intervalMinutes: 60, active: false } as never, overrideAccess: true })
  const publication = await payload.create({
    collection: 'publications',
    data: { project: project.id, connection: connection.id, article: article.id, plannedAt: new Date(Date.now() + 86_400_000).toISOString() } as never,
    overrideAccess: true,
  })
  const support = await payload.create({ collection: 'support-messages', data: { account: account.id, direction: 'in', text: `${name} asks about invoices` } as never, overrideAccess: true })
  return { project, keyword, article, post, connection, schedule, publication, support }
}

/** A paid order on the books (a payment and its credits), as the billing code records them. */
async function paid(account: Account) {
  const payment = await createPayment(payload, account.id, { paidAt: new Date().toISOString(), credits: 100, receipt: { email: 'baker@example.com' } })
  const entry = await payload.create({
    collection: 'credit-ledger',
    data: { account: account.id, kind: 'purchase', credits: 100, payment: payment.id, idempotencyKey: `test-${payment.id}`, reason: 'pack' } as never,
    overrideAccess: true,
  })
  return { payment, entry }
}

async function runExports() {
  await runOnce({ connectionString: env().DATABASE_URL, schema: SCHEMA, taskList: Object.fromEntries([privacyExportTask(async () => payload)]), logger: quiet })
}

const count = async (collection: string, where: Record<string, unknown>) => (await payload.count({ collection: collection as never, where: where as never, overrideAccess: true })).totalDocs

describe('My data', () => {
  it('exports everything the account owns as a JSON document in the chat, without credentials and nothing of another account', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const other = await verifiedUser(h, { language: 'en' })
    const mine = await fill(account, 'Alpha')
    await fill(other.account, 'Omega')
    const billing = await paid(account)

    await user.press('pd:home')
    expect(user.lastText()).toContain('My data')
    h.fake.clear()
    await user.press('pd:exp')
    expect(user.lastText()).toBe(t('en', 'privacy.export_queued'))
    await runExports()

    const sent = h.fake.callsTo('sendDocument', user.id)
    expect(sent).toHaveLength(1)
    expect(sent[0].files[0].name).toMatch(/^postforge-data-\d{4}-\d{2}-\d{2}\.json$/)
    const raw = sent[0].files[0].content.toString('utf8')
    const archive = JSON.parse(raw)
    expect(archive.accountId).toBe(account.id)
    const ids = (slug: string) => (archive.data[slug] as { id: number }[]).map((d) => d.id)
    expect(ids('accounts')).toEqual([account.id])
    expect(ids('projects')).toEqual([mine.project.id])
    expect(ids('keywords')).toEqual([mine.keyword.id])
    expect(ids('articles')).toEqual([mine.article.id])
    expect(ids('posts')).toEqual([mine.post.id])
    expect(ids('connections')).toEqual([mine.connection.id])
    expect(ids('schedules')).toEqual([mine.schedule.id])
    expect(ids('publications')).toEqual([mine.publication.id])
    expect(ids('support-messages')).toEqual([mine.support.id])
    expect(ids('payments')).toEqual([billing.payment.id])
    expect(ids('credit-ledger')).toEqual([billing.entry.id])
    expect(raw).toContain('Alpha how to bake')
    expect(raw).toContain('Alpha blog')
    // No credentials or secrets, and nothing of the other customer.
    expect(raw).not.toContain(WP_PASSWORD)
    expect(raw).not.toMatch(/"(credentials|apiKey|credentialsHint)"/)
    expect(raw).not.toContain('Omega')
    expect(raw).not.toContain(String(other.account.telegramId))
  })

  it('deletes the account only after "Continue" and the typed word; its data is gone, the other customer keeps theirs, the user starts anew', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const other = await verifiedUser(h, { language: 'ru' })
    const mine = await fill(account, 'Delta')
    const theirs = await fill(other.account, 'Sigma')

    await user.press('pd:del')
    expect(user.lastText()).toBe(t('ru', 'privacy.delete_warning'))
    // Leaving at the warning deletes nothing.
    await user.press('pd:home')
    expect(await accountOf(payload, user.id)).not.toBeNull()
    await user.press('pd:del')
    await user.press('pd:del2')
    expect(user.lastText()).toContain(t('ru', 'privacy.delete_type'))
    await user.send('да')
    expect(user.lastText()).toContain(t('ru', 'v.delete_word'))
    expect(await count('projects', { account: { equals: account.id } })).toBe(1)

    await user.send('удалить')
    expect(user.lastText()).toBe(t('ru', 'privacy.deleted'))
    expect(await accountOf(payload, user.id)).toBeNull()
    expect(await count('accounts', { id: { equals: account.id } })).toBe(0)
    for (const [collection, doc] of Object.entries(mine)) {
      expect(await count(collection === 'support' ? 'support-messages' : `${collection}s`, { id: { equals: doc.id } }), collection).toBe(0)
    }
    for (const [collection, doc] of Object.entries(theirs)) {
      expect(await count(collection === 'support' ? 'support-messages' : `${collection}s`, { id: { equals: doc.id } }), collection).toBe(1)
    }
    const log = await payload.find({ collection: 'account-deletions', where: { accountId: { equals: account.id } }, overrideAccess: true })
    expect(log.docs).toHaveLength(1)
    expect(log.docs[0]).toMatchObject({ requestedBy: 'customer', tombstone: false })
    expect(log.docs[0].removed).toMatchObject({ projects: 1, articles: 1, connections: 1, 'support-messages': 1 })
    expect(JSON.stringify(log.docs[0])).not.toContain(String(user.id))

    // The same Telegram user is a new customer: /start makes a new account with the human check.
    await user.send('/start')
    const again = await accountOf(payload, user.id)
    expect(again).not.toBeNull()
    expect(again!.id).not.toBe(account.id)
    expect(again!.verifiedHumanAt ?? null).toBeNull()
  })

  it('keeps payments and ledger entries on an anonymous account row, with no name, username, Telegram id or receipt contact', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await fill(account, 'Kappa')
    const billing = await paid(account)
    await user.press('pd:del2')
    await user.send('DELETE')
    expect(user.lastText()).toBe(t('en', 'privacy.deleted'))
    expect(await accountOf(payload, user.id)).toBeNull()

    const tomb = await payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })
    expect(tomb).toMatchObject({ status: 'blocked', telegramId: -account.id, username: null, displayName: null })
    expect(tomb.deletedAt).toBeTruthy()
    expect(JSON.stringify(tomb)).not.toContain(String(user.id))
    const payment = await payload.findByID({ collection: 'payments', id: billing.payment.id, overrideAccess: true, depth: 0 })
    expect(payment).toMatchObject({ account: account.id, amount: 49_000, status: 'succeeded' })
    expect(JSON.stringify(payment)).not.toContain('baker@example.com')
    expect(await count('credit-ledger', { id: { equals: billing.entry.id } })).toBe(1)
    expect(await count('projects', { account: { equals: account.id } })).toBe(0)
    const log = await payload.find({ collection: 'account-deletions', where: { accountId: { equals: account.id } }, overrideAccess: true })
    expect(log.docs[0]).toMatchObject({ tombstone: true, retained: { payments: 1, 'credit-ledger': 1 } })

    await user.send('/start')
    const again = await accountOf(payload, user.id)
    expect(again!.id).not.toBe(account.id)
  })

  it('ends a paid Stars subscription before deleting, so Telegram never renews it; when Telegram refuses, nothing is deleted and the customer is told', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await fill(account, 'Mu')
    // The customer subscribed with Stars (Telegram charged the first month).
    const invoice = { title: 'Business', description: 'Postforge plan', payload: `pf1:${account.id}:s:business:${randomBytes(8).toString('hex')}`, currency: 'XTR', prices: [{ label: 'Business', amount: 500 }], subscriptionPeriod: SUBSCRIPTION_PERIOD }
    const { queryId } = h.fake.stars.preCheckout(invoice, { id: user.id, is_bot: false, first_name: 'Test' })
    h.fake.stars.handle('answerPreCheckoutQuery', { pre_checkout_query_id: queryId, ok: true }, () => ({}))
    const { charge } = h.fake.stars.pay(queryId)
    const subscription = await payload.create({
      collection: 'subscriptions',
      data: { account: account.id, provider: 'stars', providerSubscriptionId: charge.id, planCode: 'business', status: 'active', currentPeriodEnd: new Date(charge.expiresAt! * 1000).toISOString() } as never,
      overrideAccess: true,
    })

    // Telegram is down: the account stays, with its data, and the subscription still runs.
    h.fake.fail('editUserStarSubscription', { status: 500, description: 'Internal Server Error' })
    await user.press('pd:del2')
    await user.send('DELETE')
    expect(user.lastText()).toBe(t('en', 'privacy.delete_subscription_failed'))
    expect(await accountOf(payload, user.id)).not.toBeNull()
    expect(await count('projects', { account: { equals: account.id } })).toBe(1)
    expect(charge.canceled ?? false).toBe(false)

    await user.press('pd:del2')
    await user.send('DELETE')
    expect(user.lastText()).toBe(t('en', 'privacy.deleted'))
    expect(await accountOf(payload, user.id)).toBeNull()
    // Telegram will not charge the next month, and our row says so.
    expect(() => h.fake.stars.renew(charge.id)).toThrow(/canceled/)
    const row = await payload.findByID({ collection: 'subscriptions', id: subscription.id, overrideAccess: true, depth: 0 })
    expect(row.status).toBe('canceled')
  })

  it('a plan month paid once (YooKassa, nothing renews at the provider) does not stand in the way: the account is deleted and the period marked canceled', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const billing = await paid(account)
    const subscription = await payload.create({
      collection: 'subscriptions',
      data: { account: account.id, provider: 'yookassa', providerSubscriptionId: `payment:${billing.payment.id}`, planCode: 'business', status: 'active', currentPeriodEnd: new Date(Date.now() + 20 * 86_400_000).toISOString() } as never,
      overrideAccess: true,
    })
    await user.press('pd:del2')
    await user.send('УДАЛИТЬ')
    expect(user.lastText()).toBe(t('ru', 'privacy.deleted'))
    expect(await accountOf(payload, user.id)).toBeNull()
    const row = await payload.findByID({ collection: 'subscriptions', id: subscription.id, overrideAccess: true, depth: 0 })
    expect(row).toMatchObject({ status: 'canceled', account: account.id })
  })

  it('the warning tells the truth about kept Stars payments: they keep the payer\'s Telegram ID (for refunds), in both languages', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await payload.create({
      collection: 'payments',
      data: { provider: 'stars', providerPaymentId: `s-${randomBytes(6).toString('hex')}`, providerChargeId: `ch-${randomBytes(6).toString('hex')}`, account: account.id, product: { kind: 'pack', code: 'pack-100' }, amount: 120, currency: 'XTR', status: 'succeeded', paidAt: new Date().toISOString(), credits: 100, metadata: { payerTelegramId: user.id } } as never,
      overrideAccess: true,
    })
    await user.press('pd:del')
    const warning = user.lastText()
    expect(warning).toBe(t('en', 'privacy.delete_warning'))
    expect(warning).not.toMatch(/no name, username or Telegram ID/)
    expect(warning).toMatch(/Stars payment keeps the payer’s Telegram ID/)
    expect(t('ru', 'privacy.delete_warning')).toMatch(/Stars остаётся Telegram ID плательщика/)
    await user.press('pd:del2')
    await user.send('DELETE')
    const kept = await payload.find({ collection: 'payments', where: { account: { equals: account.id } }, overrideAccess: true, depth: 0 })
    expect(kept.docs[0].metadata).toMatchObject({ payerTelegramId: user.id })
  })

  it('an admin deleting an account without payments over REST deletes it the way the customer would: data, AI runs, support thread, logged as staff', async () => {
    const admin = await createStaff(payload, ['admin'])
    const { account } = await verifiedUser(h, { language: 'en' })
    const mine = await fill(account, 'Lambda')
    const run = await payload.create({ collection: 'ai-runs', data: { task: 'article', model: 'gpt-test', outcome: 'ok', account: account.id } as never, overrideAccess: true })
    const res = await rest('DELETE', `/accounts/${account.id}`, { auth: admin.auth })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(await count('accounts', { id: { equals: account.id } })).toBe(0)
    expect(await count('support-messages', { id: { equals: mine.support.id } })).toBe(0)
    expect(await count('projects', { id: { equals: mine.project.id } })).toBe(0)
    expect(await count('ai-runs', { id: { equals: run.id } })).toBe(0)
    const log = await payload.find({ collection: 'account-deletions', where: { accountId: { equals: account.id } }, overrideAccess: true, depth: 0 })
    expect(log.docs).toHaveLength(1)
    expect(log.docs[0]).toMatchObject({ requestedBy: 'staff', staffUser: admin.user.id, tombstone: false })
    expect(log.docs[0].removed).toMatchObject({ projects: 1, 'support-messages': 1, 'ai-runs': 1 })
  })

  it('an admin deleting an account with payments over REST anonymises it instead (409 saying so): payments keep their link, lose the receipt contact; AI runs go; logged as a tombstone', async () => {
    const admin = await createStaff(payload, ['admin'])
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await fill(account, 'Nu')
    const billing = await paid(account)
    const run = await payload.create({ collection: 'ai-runs', data: { task: 'article', model: 'gpt-test', outcome: 'ok', account: account.id } as never, overrideAccess: true })
    const res = await rest('DELETE', `/accounts/${account.id}`, { auth: admin.auth, lang: 'en' })
    expect(res.status, JSON.stringify(res.json)).toBe(409)
    expect(res.json.errors[0].message).toBe(t('en', 'privacy.staff_anonymised', { id: account.id }))

    const tomb = await payload.findByID({ collection: 'accounts', id: account.id, overrideAccess: true })
    expect(tomb).toMatchObject({ status: 'blocked', telegramId: -account.id, username: null, displayName: null })
    expect(await accountOf(payload, user.id)).toBeNull()
    const payment = await payload.findByID({ collection: 'payments', id: billing.payment.id, overrideAccess: true, depth: 0 })
    expect(payment.account).toBe(account.id)
    expect(JSON.stringify(payment)).not.toContain('baker@example.com')
    const entry = await payload.findByID({ collection: 'credit-ledger', id: billing.entry.id, overrideAccess: true, depth: 0 })
    expect(entry.account).toBe(account.id)
    expect(await count('ai-runs', { id: { equals: run.id } })).toBe(0)
    expect(await count('projects', { account: { equals: account.id } })).toBe(0)
    const log = await payload.find({ collection: 'account-deletions', where: { accountId: { equals: account.id } }, overrideAccess: true, depth: 0 })
    expect(log.docs).toHaveLength(1)
    expect(log.docs[0]).toMatchObject({ requestedBy: 'staff', staffUser: admin.user.id, tombstone: true, retained: { payments: 1, 'credit-ledger': 1 } })
  })
  it('an admin deleting an account whose Stars subscription Telegram will not stop gets a 409 saying so, and nothing is deleted', async () => {
    const admin = await createStaff(payload, ['admin'])
    const { user, account } = await verifiedUser(h, { language: 'en' })
    await fill(account, 'Xi')
    const invoice = { title: 'Business', description: 'Postforge plan', payload: `pf1:${account.id}:s:business:${randomBytes(8).toString('hex')}`, currency: 'XTR', prices: [{ label: 'Business', amount: 500 }], subscriptionPeriod: SUBSCRIPTION_PERIOD }
    const { queryId } = h.fake.stars.preCheckout(invoice, { id: user.id, is_bot: false, first_name: 'Test' })
    h.fake.stars.handle('answerPreCheckoutQuery', { pre_checkout_query_id: queryId, ok: true }, () => ({}))
    const { charge } = h.fake.stars.pay(queryId)
    await payload.create({
      collection: 'subscriptions',
      data: { account: account.id, provider: 'stars', providerSubscriptionId: charge.id, planCode: 'business', status: 'active', currentPeriodEnd: new Date(charge.expiresAt! * 1000).toISOString() } as never,
      overrideAccess: true,
    })
    h.fake.fail('editUserStarSubscription', { status: 500, description: 'Internal Server Error' })
    const res = await rest('DELETE', `/accounts/${account.id}`, { auth: admin.auth, lang: 'en' })
    expect(res.status, JSON.stringify(res.json)).toBe(409)
    expect(res.json.errors[0].message).toBe(t('en', 'privacy.staff_subscription_failed', { provider: 'stars' }))
    expect(await accountOf(payload, user.id)).not.toBeNull()
    expect(await count('projects', { account: { equals: account.id } })).toBe(1)
    expect(await count('account-deletions', { accountId: { equals: account.id } })).toBe(0)
  })
})
