import { expect, test } from '@playwright/test'

import { fixtures } from './fixtures'

const f = fixtures()

test('staff signs in, sees the review queue, approves one article and requests changes on another', async ({ page }) => {
  await page.goto('/admin/login')
  await page.getByLabel('Email').fill(f.editor.email)
  await page.getByLabel('Password').fill(f.editor.password)
  await page.getByRole('button', { name: /login|log in|войти/i }).click()

  const queue = page.locator('section.review-queue')
  await expect(queue.getByRole('heading', { name: /Review queue/ })).toBeVisible()
  const approveRow = queue.getByTestId(`review-articles-${f.articles.toApprove}`)
  const changeRow = queue.getByTestId(`review-articles-${f.articles.toChange}`)
  await expect(approveRow).toContainText('How to choose coffee beans')
  await expect(changeRow).toContainText('Grind size for a cezve')
  const alerts = page.locator('section.publishing-alerts')
  await expect(alerts).toContainText('Failed: Espresso at home → Alpha blog')
  await expect(alerts).toContainText('WordPress refused the application password')
  await page.screenshot({ path: '.data/test-results/review-queue.png', fullPage: true })

  await approveRow.getByRole('button', { name: 'Approve How to choose coffee beans' }).click()
  await expect(approveRow).toHaveCount(0)

  await changeRow.getByRole('button', { name: 'Request changes to Grind size for a cezve' }).click()
  await changeRow.getByLabel('What should change?').fill('Add a grind chart and a photo of the right texture')
  await changeRow.getByRole('button', { name: 'Send to author' }).click()
  await expect(changeRow).toHaveCount(0)

  // Payload accepts its session cookie only from a same-origin request (CSRF protection).
  const asStaff = { headers: { Origin: new URL(page.url()).origin } }
  const approved = await page.request.get(`/api/articles/${f.articles.toApprove}`, asStaff)
  expect((await approved.json()).workflowStatus).toBe('approved')
  const changed = await (await page.request.get(`/api/articles/${f.articles.toChange}`, asStaff)).json()
  expect(changed.workflowStatus).toBe('changes_requested')
  expect(changed.reviewNote).toBe('Add a grind chart and a photo of the right texture')

  const trail = await (await page.request.get(`/api/workflow-events?where[document.value][equals]=${f.articles.toChange}&sort=-createdAt&limit=1`, asStaff)).json()
  expect(trail.docs[0]).toMatchObject({ from: 'in_review', to: 'changes_requested', actorKind: 'staff' })
})

test("an account's API key over REST sees only its own data", async ({ request }) => {
  const headers = { Authorization: `accounts API-Key ${f.a.apiKey}` }
  const projects = await (await request.get('/api/projects?limit=100', { headers })).json()
  expect(projects.docs.map((p: { id: number }) => p.id)).toEqual([f.a.projectId])
  const articles = await (await request.get('/api/articles?limit=100', { headers })).json()
  const ids = articles.docs.map((d: { id: number }) => d.id)
  expect(ids).toEqual(expect.arrayContaining([f.articles.toApprove, f.articles.toChange]))
  expect(ids).not.toContain(f.articles.other)
  const foreign = await request.get(`/api/articles/${f.articles.other}`, { headers })
  expect([403, 404]).toContain(foreign.status())
  const anonymous = await request.get('/api/projects')
  expect(anonymous.status()).toBe(403)
})

test('staff sees the jobs view', async ({ page }) => {
  await page.goto('/admin/login')
  await page.getByLabel('Email').fill(f.editor.email)
  await page.getByLabel('Password').fill(f.editor.password)
  await page.getByRole('button', { name: /login|log in|войти/i }).click()
  await expect(page.getByRole('heading', { name: /Review queue/ })).toBeVisible()
  await expect(page.locator('a[href="/admin/jobs"]')).toHaveCount(1)
  await page.goto('/admin/jobs')
  await expect(page.getByRole('heading', { name: 'Jobs' })).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Job state' })).toContainText('failed (0)')
  await page.screenshot({ path: '.data/test-results/jobs.png', fullPage: true })
})
