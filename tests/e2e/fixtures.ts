import { readFileSync } from 'node:fs'

export type E2EFixtures = {
  editor: { email: string; password: string }
  admin: { email: string; password: string }
  a: { apiKey: string; accountId: number; projectId: number }
  b: { apiKey: string; accountId: number; projectId: number }
  articles: { toApprove: number; toChange: number; other: number }
  failedPublication: number
}

export function fixtures(): E2EFixtures {
  return JSON.parse(readFileSync(process.env.E2E_FIXTURES!, 'utf8')) as E2EFixtures
}

/** The outside services the e2e run started (tests/e2e/fakes.ts): the WordPress site's address and login. */
export function fakes(): { wordpress: { url: string; username: string; password: string } } {
  return JSON.parse(readFileSync(process.env.E2E_FAKES!, 'utf8'))
}
