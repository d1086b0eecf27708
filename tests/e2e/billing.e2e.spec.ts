import { expect, test, type Page } from '@playwright/test'

import { fakes, fixtures, signIn } from './fixtures'

const f = fixtures()

/** Payload accepts its session cookie only from a same-origin request (CSRF protection). */
const sameOrigin = (page: Page) => ({ headers: { Origin: new URL(page.url()).origin } })

// Several admin pages per test, each rendered on the server: generous on a shared machine.
test.describe.configure({ mode: 'serial', timeout: 180_000 })

test("the revenue chart shows the day's payments, per currency, net of refunds", async ({ page }) => {
  await signIn(page, f.staff.billingAdmin)
  await page.goto('/admin?days=7')
  const section = page.locator('section.dashboard-charts')
  // Seeded today: 990 + 490 RUB (YooKassa), 19 USD (Stripe), 150 stars (Telegram Stars).
  const rub = section.getByTestId('chart-revenue-RUB')
  await expect(rub).toHaveAttribute('data-empty', 'false')
  await expect(rub).toContainText(/RUB \(net of refunds\): RUB\s1,480\.00/)
  await expect(rub.locator('.recharts-bar-rectangle path')).toHaveCount(1)
  await expect(rub.locator('.recharts-legend-item')).toContainText(['yookassa'])
  await expect(section.getByTestId('chart-revenue-USD')).toContainText('USD (net of refunds): $19.00')
  await expect(section.getByTestId('chart-revenue-XTR')).toContainText('XTR (net of refunds): 150 XTR')
  // Never one total across currencies.
  await expect(section.locator('[data-testid^="chart-revenue-"]')).toHaveCount(3)
  await rub.scrollIntoViewIfNeeded()
  await page.screenshot({ path: '.data/test-results/revenue-light.png', fullPage: true })
  await section.screenshot({ path: '.data/test-results/revenue-charts-light.png' })
})

test('staff refunds a Stars payment in the admin: the money goes back through Telegram and the credits leave the balance', async ({ page }) => {
  await signIn(page, f.staff.billingAdmin)
  await page.goto(`/admin/collections/accounts/${f.billing.buyer.accountId}`)
  const credits = page.getByTestId('account-credits')
  await expect(credits.getByTestId('credit-balance')).toHaveText(String(f.billing.creditsBought))
  await expect(credits.getByTestId('ledger-row')).toHaveCount(1)
  await expect(credits.getByTestId('ledger-row').first()).toContainText('purchase')

  // The payments list filtered to this account, then the payment.
  await credits.getByRole('link', { name: 'Payments of this account' }).click()
  await expect(page.getByTestId('payment-filters')).toBeVisible()
  await expect(page.locator('.table tbody tr')).toHaveCount(1)
  await expect(page.locator('.table tbody tr')).toContainText('150 XTR')
  await expect(page.locator('.table tbody tr')).toContainText('Delta Studio')
  await page.screenshot({ path: '.data/test-results/payments-list.png', fullPage: true })
  await page.goto(`/admin/collections/payments/${f.billing.starsPayment}`)

  const refund = page.getByTestId('payment-refund')
  await expect(refund.getByTestId('payment-money')).toContainText('Paid 150 XTR by stars')
  await expect(refund.getByTestId('payment-money')).toContainText('status succeeded')
  await expect(refund.getByRole('button', { name: 'Refund…' })).toBeDisabled()
  await refund.getByLabel('Reason (required)').fill('The customer bought the wrong pack')
  await refund.getByRole('button', { name: 'Refund…' }).click()
  const confirm = refund.getByRole('group', { name: 'Confirm the refund' })
  await expect(confirm).toContainText('Give 150 XTR back to the customer through stars?')
  await page.screenshot({ path: '.data/test-results/refund-confirm.png', fullPage: true })
  await confirm.getByRole('button', { name: 'Confirm refund' }).click()
  await expect(refund.getByTestId('refund-result')).toHaveText('Refunded 150 XTR through stars; 100 credits taken back. Status: refunded.')
  await expect(refund.getByTestId('payment-money')).toContainText('status refunded')
  // The payment's own fields show the new state too (the page reloads them after the refund).
  await expect(page.locator('#field-refundedAmount')).toHaveValue('150')
  await expect(page.locator('#field-status')).toContainText('refunded')
  await expect(refund.getByRole('button', { name: 'Refund…' })).toHaveCount(0)
  await page.screenshot({ path: '.data/test-results/refund-done.png', fullPage: true })

  // Recorded: the payment as the API gives it, and Telegram's own list of Star transactions.
  const payment = await (await page.request.get(`/api/payments/${f.billing.starsPayment}`, sameOrigin(page))).json()
  expect(payment).toMatchObject({ status: 'refunded', refundedAmount: 150 })
  const { env } = fakes()
  const stars = await (await page.request.post(`${env.TELEGRAM_API_ROOT}/bot${env.TELEGRAM_BOT_TOKEN}/getStarTransactions`, { data: {} })).json()
  const refunds = stars.result.transactions.filter((t: { id: string; receiver?: unknown }) => t.id === f.billing.starsCharge.chargeId && t.receiver)
  expect(refunds).toHaveLength(1)

  // The account's ledger shows the refund and the balance it left.
  await page.goto(`/admin/collections/accounts/${f.billing.buyer.accountId}`)
  await expect(credits.getByTestId('credit-balance')).toHaveText('0')
  await expect(credits.getByTestId('ledger-row').first()).toContainText('refund')
  await expect(credits.getByTestId('ledger-row').first()).toContainText('-100')
})

test('staff grants credits with a reason on the account: the balance and the ledger show it', async ({ page }) => {
  await signIn(page, f.staff.billingAdmin)
  await page.goto(`/admin/collections/accounts/${f.billing.buyer.accountId}`)
  const credits = page.getByTestId('account-credits')
  await expect(credits.getByTestId('credit-balance')).toHaveText('0')
  const grant = credits.getByRole('group', { name: 'Grant credits' })
  await grant.getByLabel('Credits to add').fill('250')
  // No reason, no grant.
  await expect(grant.getByRole('button', { name: 'Grant credits' })).toBeDisabled()
  await grant.getByLabel('Reason for the grant (required)').fill('Apology for Friday’s publishing outage')
  await grant.getByRole('button', { name: 'Grant credits' }).click()
  await expect(grant.getByRole('status')).toHaveText('Granted 250 credits.')
  await expect(credits.getByTestId('credit-balance')).toHaveText('250')
  const newest = credits.getByTestId('ledger-row').first()
  await expect(newest).toContainText('grant')
  await expect(newest).toContainText('+250')
  await expect(newest).toContainText('Apology for Friday’s publishing outage')
  await expect(newest).toContainText('Bea Billing')
  await credits.screenshot({ path: '.data/test-results/account-credits-light.png' })

  // The same screen in the dark theme.
  await page.context().addCookies([{ name: 'payload-theme', value: 'dark', url: new URL(page.url()).origin }])
  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await expect(credits.getByTestId('credit-balance')).toHaveText('250')
  await credits.screenshot({ path: '.data/test-results/account-credits-dark.png' })

  // After a reload the balance is what the ledger derives, not what the page remembered.
  const ledger = await (await page.request.get(`/api/credit-ledger?where[account][equals]=${f.billing.buyer.accountId}&sort=-createdAt`, sameOrigin(page))).json()
  expect(ledger.docs.map((row: { kind: string; credits: number }) => [row.kind, row.credits])).toEqual([
    ['grant', 250],
    ['refund', -100],
    ['purchase', 100],
  ])

  // The revenue chart now nets the refund out of the day's stars.
  await page.goto('/admin?days=7')
  const xtr = page.getByTestId('chart-revenue-XTR')
  await expect(xtr).toContainText('XTR (net of refunds): 0 XTR')
  // Paid and refunded the same day: a bar up for the stars and one down for the refund.
  await expect(xtr).toHaveAttribute('data-empty', 'false')
  await expect(xtr.locator('.recharts-bar-rectangle path')).toHaveCount(2)
  await expect(xtr.locator('.recharts-legend-item')).toContainText(['refunds', 'stars'])
  await page.locator('section.dashboard-charts').screenshot({ path: '.data/test-results/revenue-charts-dark.png' })
})

test('an editor sees the ledger but cannot grant or refund; a customer cannot read the credits endpoint', async ({ page, request }) => {
  await signIn(page, f.staff.dashboardEditor)
  await page.goto(`/admin/collections/accounts/${f.billing.buyer.accountId}`)
  await expect(page.getByTestId('credit-balance')).toHaveText('250')
  await expect(page.getByRole('group', { name: 'Grant credits' })).toHaveCount(0)
  const refused = await page.request.post('/api/credit-ledger', {
    ...sameOrigin(page),
    data: { account: f.billing.buyer.accountId, kind: 'grant', credits: 1000, reason: 'not allowed' },
  })
  expect(refused.status()).toBe(403)
  const asCustomer = await request.get(`/api/ops/accounts/${f.billing.buyer.accountId}/credits`, {
    headers: { Authorization: `accounts API-Key ${f.billing.buyer.apiKey}` },
  })
  expect(asCustomer.status()).toBe(403)
})
