import { expect, test } from '@playwright/test'

import { fixtures } from './fixtures'

const f = fixtures()

test('pages and API answers carry the security headers; HSTS only behind https', async ({ request }) => {
  const page = await request.get('/admin/login')
  const headers = page.headers()
  expect(headers['x-powered-by']).toBeUndefined()
  expect(headers['x-frame-options']).toBe('DENY')
  expect(headers['x-content-type-options']).toBe('nosniff')
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin')
  expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/)
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'/)
  expect(headers['strict-transport-security']).toBeUndefined()
  const again = await request.get('/admin/login')
  expect(again.headers()['content-security-policy']).not.toBe(headers['content-security-policy'])

  const api = await request.get('/api/health')
  expect(api.headers()['x-content-type-options']).toBe('nosniff')
  expect(api.headers()['content-security-policy']).toBe("frame-ancestors 'none'")
  expect(api.headers()['x-powered-by']).toBeUndefined()

  const https = await request.get('/admin/login', { headers: { 'X-Forwarded-Proto': 'https' } })
  expect(https.headers()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
})

test('the admin works under its CSP: sign in, dashboard, a document, no violations', async ({ page }) => {
  const violations: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(message.text())) violations.push(message.text())
  })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })

  await page.goto('/admin/login')
  await page.getByLabel('Email').fill(f.editor.email)
  await page.getByLabel('Password').fill(f.editor.password)
  await page.getByRole('button', { name: /login|log in|войти/i }).click()
  await expect(page.locator('section.review-queue')).toBeVisible()

  await page.goto(`/admin/collections/articles/${f.articles.other}`)
  await expect(page.locator('input#field-title')).toBeVisible()
  await page.goto('/admin/collections/projects')
  await expect(page.locator('.collection-list, table').first()).toBeVisible()
  expect(violations).toEqual([])
})

test('the admin cannot be framed by another site', async ({ page, baseURL }) => {
  const blocked: string[] = []
  page.on('console', (message) => {
    if (/frame-ancestors|X-Frame-Options|Refused to (display|frame)/i.test(message.text())) blocked.push(message.text())
  })
  await page.setContent(`<iframe src="${baseURL}/admin/login" width="800" height="600"></iframe>`)
  await expect.poll(() => blocked.length).toBeGreaterThan(0)
  const frame = page.frames().find((candidate) => candidate.url().includes('/admin/login'))
  expect(await frame?.locator('input[type=password]').count().catch(() => 0) ?? 0).toBe(0)
})
