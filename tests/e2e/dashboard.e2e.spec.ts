import { expect, test } from '@playwright/test'

import { fixtures, signIn } from './fixtures'

const f = fixtures()

/** Charts drawn with the seeded figures (data-empty="false", an SVG with marks), not an empty axis. */
const DRAWN = ['chart-active', 'chart-new-accounts', 'chart-content', 'chart-approval', 'chart-ai-cost', 'chart-wpm', 'chart-publishing', 'chart-webhooks']

// Several admin pages per test, each rendered on the server: generous on a shared machine.
test.describe.configure({ timeout: 180_000 })

test('staff sees the dashboard charts drawn from the seeded figures, in the light and the dark theme', async ({ page, context }) => {
  await signIn(page, f.staff.dashboardEditor)
  await page.goto('/admin?days=7')
  const section = page.locator('section.dashboard-charts')
  await expect(section.getByRole('heading', { name: 'Figures, last 7 days (UTC)' })).toBeVisible()
  await expect(section.getByRole('link', { name: '7 days' })).toHaveAttribute('aria-current', 'page')

  for (const id of DRAWN) {
    const chart = section.getByTestId(id)
    await expect(chart, id).toHaveAttribute('data-empty', 'false')
    await expect(chart.locator('svg.recharts-surface').first(), id).toBeVisible()
    await expect(chart, id).not.toContainText('no data yet')
  }
  // Bars and lines are there, one per seeded day at least (6 days of articles, AI runs, decisions).
  await expect(section.getByTestId('chart-content').locator('.recharts-bar-rectangle path')).not.toHaveCount(0)
  // Published bars (the third series) on the days the seeded publications went out.
  await expect(section.getByTestId('chart-content').locator('.recharts-bar').nth(2).locator('.recharts-bar-rectangle path')).toHaveCount(f.dashboard.publishedDays)
  await expect(section.getByTestId('chart-ai-cost').locator('path.recharts-line-curve')).toHaveCount(2)
  await expect(section.getByTestId('chart-publishing')).toContainText('wordpress')

  // The approval rate a person reads agrees with the review trail as REST lists it (the seeded
  // decisions of the last days, and whatever other browser tests decided before this one).
  const asStaff = { headers: { Origin: new URL(page.url()).origin } }
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)
  const count = async (to: string) =>
    (await (await page.request.get(`/api/workflow-events?where[from][equals]=in_review&where[to][equals]=${to}&where[createdAt][greater_than_equal]=${since}&limit=1`, asStaff)).json()).totalDocs as number
  // DAU and MAU from accounts' last-seen times: Gamma was seen an hour ago, Beta twelve days ago.
  const stat = async (id: string) => Number((await section.getByTestId(id).locator('div').nth(1).textContent()) ?? NaN)
  expect(await stat('stat-dau')).toBeGreaterThanOrEqual(1)
  expect(await stat('stat-mau')).toBeGreaterThanOrEqual((await stat('stat-dau')) + 1)
  const approved = await count('approved')
  const changes = await count('changes_requested')
  expect(approved).toBeGreaterThanOrEqual(f.dashboard.approved)
  expect(changes).toBeGreaterThanOrEqual(f.dashboard.changesRequested)
  const rate = Math.round((approved / (approved + changes)) * 1000) / 10
  await expect(section.getByTestId('stat-approval')).toContainText(`${rate}%`)
  await expect(section.getByTestId('chart-approval')).toContainText(`${approved} approved, ${changes} sent back`)

  // The webhook's last 24 h from the Redis rollup: the seeded updates (and any the other browser
  // tests caused), p50 and p99 read off the buckets.
  const webhooks = section.getByTestId('chart-webhooks')
  await expect(webhooks).toHaveAttribute('data-empty', 'false')
  await expect(webhooks).toContainText(/Webhook, last 24 h: p50 \d+ ms, p99 \d+ ms, errors [\d.]+%/)
  const [, updates, failed] = /(\d+) updates, (\d+) failed/.exec((await webhooks.textContent()) ?? '') ?? []
  expect(Number(updates)).toBeGreaterThanOrEqual(f.dashboard.webhooks.updates)
  expect(Number(failed)).toBeGreaterThanOrEqual(f.dashboard.webhooks.failed)

  await section.scrollIntoViewIfNeeded()
  await page.screenshot({ path: '.data/test-results/dashboard-light.png', fullPage: true })
  await section.screenshot({ path: '.data/test-results/dashboard-charts-light.png' })

  // The dark admin theme (Payload reads it from its theme cookie).
  await context.addCookies([{ name: 'payload-theme', value: 'dark', url: new URL(page.url()).origin }])
  await page.goto('/admin?days=30')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await expect(section.getByRole('heading', { name: 'Figures, last 30 days (UTC)' })).toBeVisible()
  for (const id of DRAWN) await expect(section.getByTestId(id), id).toHaveAttribute('data-empty', 'false')
  await page.screenshot({ path: '.data/test-results/dashboard-dark.png', fullPage: true })
  await section.screenshot({ path: '.data/test-results/dashboard-charts-dark.png' })
})

test('the dashboard figures are for staff only: a customer gets 403 from the data source', async ({ request }) => {
  const asCustomer = await request.get('/api/ops/dashboard?days=7', { headers: { Authorization: `accounts API-Key ${f.dashboard.apiKey}` } })
  expect(asCustomer.status()).toBe(403)
  const anonymous = await request.get('/api/ops/dashboard?days=7')
  expect(anonymous.status()).toBe(403)
})
