import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import { t } from '../../src/i18n'
import { createTenant, type Tenant } from '../helpers/fixtures'
import { sendJson } from '../helpers/http'
import { testPayload } from '../helpers/payload'

/**
 * One rule for the language of API errors, whoever refuses: the HTTP guard (src/http, before
 * Payload authenticates) and Payload's route handlers and hooks answer the same request in the
 * same language: Accept-Language if it names ru or en, else the account's language, else Russian.
 */

let payload: Payload
let english: Tenant
let russian: Tenant

beforeAll(async () => {
  payload = await testPayload()
  english = await createTenant(payload, { name: 'English' })
  russian = await createTenant(payload, { name: 'Russian' })
  await payload.update({ collection: 'accounts', id: english.account.id, overrideAccess: true, data: { language: 'en' } })
  await payload.update({ collection: 'accounts', id: russian.account.id, overrideAccess: true, data: { language: 'ru' } })
})

/** A refusal of the guard (a body that is not a JSON object) and one of a route handler (a staff-only endpoint). */
async function bothRefusals(headers: Record<string, string>) {
  const guard = await sendJson({ method: 'POST', path: '/projects', body: 'null', headers: { 'content-type': 'application/json', ...headers } })
  const handler = await sendJson({ method: 'GET', path: '/ops/dashboard', headers })
  const sort = await sendJson({ method: 'GET', path: '/articles?sort=mainKeyword.phrase', headers })
  expect(guard.status).toBe(400)
  expect(handler.status).toBe(403)
  expect(sort.status).toBe(400)
  return { guard: guard.json.errors[0].message as string, handler: handler.json.errors[0].message as string, sort: sort.json.errors[0].message as string }
}

const inLanguage = (language: 'ru' | 'en') => ({
  guard: t(language, 'request.bad_json', { details: 'null' }),
  handler: t(language, 'auth.staff_only'),
  sort: t(language, 'query.sort_through_relationship', { path: 'mainKeyword.phrase' }),
})

const key = (tenant: Tenant) => ({ authorization: `accounts API-Key ${tenant.apiKey}` })

describe('the language of API errors', () => {
  it('without Accept-Language: the account\'s language, in the guard and the handlers alike', async () => {
    expect(await bothRefusals(key(english))).toEqual(inLanguage('en'))
    expect(await bothRefusals(key(russian))).toEqual(inLanguage('ru'))
  })

  it('Accept-Language naming ru or en wins over the account\'s language', async () => {
    expect(await bothRefusals({ ...key(russian), 'accept-language': 'en-GB,en;q=0.9' })).toEqual(inLanguage('en'))
    expect(await bothRefusals({ ...key(english), 'accept-language': 'ru-RU' })).toEqual(inLanguage('ru'))
    expect(await bothRefusals({ ...key(english), 'accept-language': 'de-DE, ru;q=0.5' })).toEqual(inLanguage('ru'))
  })

  it('a language we do not speak falls back to the account\'s, and with no account to Russian', async () => {
    expect(await bothRefusals({ ...key(english), 'accept-language': 'de-DE' })).toEqual(inLanguage('en'))
    const anonymous = await bothRefusals({})
    expect(anonymous.guard).toBe(inLanguage('ru').guard)
    expect(anonymous.handler).toBe(inLanguage('ru').handler)
  })
})
