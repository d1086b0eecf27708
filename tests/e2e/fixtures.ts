import { readFileSync } from 'node:fs'

import { expect, type Page } from '@playwright/test'

export type E2EFixtures = {
  editor: { email: string; password: string }
  admin: { email: string; password: string }
  a: { apiKey: string; accountId: number; projectId: number }
  b: { apiKey: string; accountId: number; projectId: number }
  articles: { toApprove: number; toChange: number; other: number }
  failedPublication: number
  /** The dashboard's customer (A5) and what was seeded for it over the last six days. */
  dashboard: { apiKey: string; accountId: number; projectId: number; articles: number; approved: number; changesRequested: number; published: number; publishedDays: number; aiCostUsd: number; webhooks: { updates: number; failed: number } }
  /** Billing (A5): a Stars pack payment the fake Bot API knows the charge of, and its buyer. */
  billing: {
    buyer: { apiKey: string; accountId: number; projectId: number }
    starsPayment: number
    starsCharge: { chargeId: string; telegramId: number; amount: number; payload: string }
    creditsBought: number
  }
  /** Staff only the dashboard and billing browser tests sign in as (A5). */
  staff: { billingAdmin: { email: string; password: string }; dashboardEditor: { email: string; password: string } }
}

export function fixtures(): E2EFixtures {
  return JSON.parse(readFileSync(process.env.E2E_FIXTURES!, 'utf8')) as E2EFixtures
}

/** The outside services the e2e run started (tests/e2e/fakes.ts): the WordPress site's address and login. */
export function fakes(): { wordpress: { url: string; username: string; password: string }; env: Record<string, string> } {
  return JSON.parse(readFileSync(process.env.E2E_FAKES!, 'utf8'))
}

/**
 * Signs in through the REST API (the session cookie lands in the browser's context), then opens
 * the admin home. Not through the login form: the sign-in limiter counts every form login from one
 * address under one empty email (5 an hour), which the other browser tests already use up.
 */
export async function signIn(page: Page, who: { email: string; password: string }) {
  const origin = new URL(process.env.E2E_BASE_URL ?? 'http://localhost:3100').origin
  const res = await page.request.post('/api/users/login', { data: who, headers: { Origin: origin } })
  expect(res.status(), await res.text()).toBe(200)
  await page.goto('/admin')
  // The admin home renders its queue, alerts and charts on the server: slow on a busy machine.
  await expect(page.getByRole('heading', { name: /Review queue/ })).toBeVisible({ timeout: 60_000 })
}
