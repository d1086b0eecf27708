import { expect, test, type Page } from '@playwright/test'

import { fixtures } from './fixtures'

const f = fixtures()

// One sign-in for the file (sign-ins are rate-limited per address): the tests share the page.
test.describe.configure({ mode: 'serial' })
let page: Page

test.beforeAll(async ({ browser }, testInfo) => {
  page = await browser.newPage({ baseURL: testInfo.project.use.baseURL })
  await page.goto('/admin/login')
  await page.getByLabel('Email').fill(f.admin.email)
  await page.getByLabel('Password').fill(f.admin.password)
  await page.getByRole('button', { name: /login|log in|войти/i }).click()
  await expect(page.locator('a[href="/admin/support"]')).toHaveCount(1)
})

test.afterAll(async () => {
  await page?.close()
})

test('the support inbox shows a customer’s unread message first and staff reply from it', async () => {
  // Payload accepts its session cookie only from a same-origin request (CSRF protection).
  const asStaff = { headers: { Origin: new URL(page.url()).origin } }
  // A message "from the customer", as the bot writes it (staff may record one; marked unread).
  const created = await page.request.post('/api/support-messages', { ...asStaff, data: { account: f.a.accountId, direction: 'in', text: 'My article did not publish to WordPress' } })
  expect(created.status()).toBe(201)
  const id = (await created.json()).doc.id
  expect((await page.request.patch(`/api/support-messages/${id}`, { ...asStaff, data: { unread: true } })).status()).toBe(200)

  await page.goto('/admin/support')
  await expect(page.getByRole('heading', { name: 'Support inbox' })).toBeVisible()
  const threads = page.getByTestId('support-threads')
  const first = threads.locator('tbody tr').first()
  await expect(first).toContainText('My article did not publish to WordPress')
  await expect(first).toContainText('● 1')
  await page.screenshot({ path: '.data/test-results/support-inbox.png', fullPage: true })

  await first.getByRole('link').click()
  const thread = page.getByTestId('support-thread')
  await expect(thread).toContainText('My article did not publish to WordPress')
  // The reply form answers once React has hydrated it; a click before that was lost once on a busy
  // machine (the text stayed in the box, nothing was sent).
  await page.waitForLoadState('networkidle')
  await page.getByPlaceholder(/Reply to the customer/).fill('Please reconnect the site: the application password expired.')
  await page.getByRole('button', { name: 'Send reply' }).click()
  await expect(thread).toContainText('Please reconnect the site: the application password expired.')
  await expect(threads.locator('tbody tr').filter({ hasText: 'Please reconnect' })).not.toContainText('●')
  await page.screenshot({ path: '.data/test-results/support-thread.png', fullPage: true })
})

test('a draft broadcast has a Send button; a link that is not https is refused', async () => {
  const asStaff = { headers: { Origin: new URL(page.url()).origin } }
  const bad = await page.request.post('/api/broadcasts', { ...asStaff, data: { title: 'Bad', textRu: 'a', textEn: 'a', button: { textRu: 'a', textEn: 'a', url: 'http://example.com' } } })
  expect(bad.status()).toBe(400)
  const created = await page.request.post('/api/broadcasts', {
    ...asStaff,
    // A segment nobody is in: pressing Send in a later run of this test would message no one.
    data: { title: 'Spring launch', textRu: 'Новая функция', textEn: 'New feature', segment: { plans: ['e2e-nobody'] } },
  })
  expect(created.status()).toBe(201)
  await page.goto(`/admin/collections/broadcasts/${(await created.json()).doc.id}`)
  await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeVisible()
  await page.screenshot({ path: '.data/test-results/broadcast-draft.png', fullPage: true })
})
