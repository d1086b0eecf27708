import { randomBytes } from 'node:crypto'

import type { Payload } from 'payload'
import { beforeAll, describe, expect, it } from 'vitest'

import type { User } from '../../src/payload-types'
import { FORGOT_PASSWORD_FLOOR_MS } from '../../src/http/loginLimit'
import { createStaff } from '../helpers/fixtures'
import { send, sendJson } from '../helpers/http'
import { testPayload } from '../helpers/payload'

const PASSWORD = 'correct horse battery staple'
let payload: Payload
let victim: User

beforeAll(async () => {
  payload = await testPayload()
  victim = (await createStaff(payload, ['admin'])).user
})

/** A fresh documentation address (RFC 5737) per caller, so tests do not share buckets. */
const address = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`

const restLogin = (email: string, password: string, from: string) =>
  sendJson({
    method: 'POST',
    path: '/users/login',
    body: JSON.stringify({ email, password }),
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, 'accept-language': 'en' },
  })

const gqlLogin = (email: string, password: string, from: string) =>
  sendJson({
    method: 'POST',
    path: '/graphql',
    body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { loginUser(email: $e, password: $p) { token } }', variables: { e: email, p: password } }),
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, 'accept-language': 'en' },
  })

/** The statuses of `count` requests made one after another. */
async function statusesOf(count: number, call: (attempt: number) => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = []
  for (let attempt = 0; attempt < count; attempt++) statuses.push((await call(attempt)).status)
  return statuses
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

// Every failed attempt answers no sooner than 600 ms: these tests make dozens.
describe('sign-in (#9)', { timeout: 120_000 }, () => {
  it('wrong passwords from outsiders never lock the staff member out', async () => {
    // Three outsiders, each until refused: more failures than the old lockout (10) allowed.
    let failures = 0
    for (let outsider = 0; outsider < 3; outsider++) {
      const from = address()
      for (let attempt = 0; attempt < 8; attempt++) {
        const res = await restLogin(victim.email, `wrong-${attempt}`, from)
        if (res.status === 401) failures++
        else expect(res.status).toBe(429)
      }
    }
    expect(failures).toBeGreaterThanOrEqual(12)
    const own = await restLogin(victim.email, PASSWORD, address())
    expect(own.status).toBe(200)
    expect(own.json.token).toEqual(expect.any(String))
  })

  it('staff who sign in successfully many times from one address are never refused; a wrong password after that still counts', async () => {
    // A staff member of its own: the email's bucket is shared by everything that names it.
    const editor = (await createStaff(payload, ['editor'])).user
    const from = address()
    // More than every bucket holds for one address and email (5), and for the address (20).
    const rest = await statusesOf(12, () => restLogin(editor.email, PASSWORD, from))
    const graphql = await statusesOf(12, () => gqlLogin(editor.email, PASSWORD, from))
    expect([...rest, ...graphql].every((status) => status === 200)).toBe(true)
    // The limit itself is untouched: five wrong passwords, then 429.
    const wrong = await statusesOf(7, (attempt) => restLogin(editor.email, `wrong-${attempt}`, from))
    expect(wrong.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(wrong.slice(5)).toEqual([429, 429])
  })

  it("the admin's own sign-in form is limited per email too: one colleague's wrong passwords do not lock out another at the same office", async () => {
    // The admin posts multipart/form-data with the fields as JSON in `_payload`.
    const formLogin = (email: string, password: string, from: string) => {
      const form = new FormData()
      form.set('_payload', JSON.stringify({ email, password }))
      return send({ method: 'POST', path: '/users/login', body: form, headers: { 'x-forwarded-for': from, 'accept-language': 'en' } })
    }
    const office = address()
    const careless = (await createStaff(payload, ['editor'])).user
    const colleague = (await createStaff(payload, ['support'])).user
    const wrong: number[] = []
    for (let attempt = 0; attempt < 6; attempt++) wrong.push((await formLogin(careless.email, `wrong-${attempt}`, office)).status)
    expect(wrong).toEqual([401, 401, 401, 401, 401, 429])
    expect((await formLogin(colleague.email, PASSWORD, office)).status).toBe(200)
  })

  it('answers 429 with Retry-After once one address tries too often, REST and GraphQL alike', async () => {
    const from = address()
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let attempt = 0; attempt < 7; attempt++) {
      const res = await restLogin(victim.email, 'nope', from)
      statuses.push(res.status)
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after')
        expect(res.json.errors[0].message).toMatch(/^Too many sign-in attempts\. Try again in \d+ s\.$/)
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(statuses.slice(5)).toEqual([429, 429])
    expect(Number(retryAfter)).toBeGreaterThan(0)

    const other = address()
    const gql = await statusesOf(6, () => gqlLogin(victim.email, 'nope', other))
    expect(gql.at(-1)).toBe(429)

    // The API docs' OAuth password flow (payload-oapi) signs in too, and is limited the same way.
    const docs = address()
    const viaDocs = await statusesOf(6, () =>
      sendJson({
        method: 'POST',
        path: '/openapi-auth',
        body: new URLSearchParams({ username: victim.email, password: 'nope' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': docs },
      }),
    )
    expect(viaDocs.slice(0, 5).every((status) => status === 401)).toBe(true)
    expect(viaDocs[5]).toBe(429)

    // Spraying many emails from one address is limited too.
    const sprayer = address()
    const spray = await statusesOf(22, (attempt) => restLogin(`nobody${attempt}@staff.test`, 'x', sprayer))
    expect(spray.slice(0, 20).every((status) => status === 401)).toBe(true)
    expect(spray.slice(20)).toEqual([429, 429])
  })

  it('unknown email and wrong password get the same answer in about the same time', async () => {
    const unknown: number[] = []
    const known: number[] = []
    let unknownBody = ''
    let knownBody = ''
    for (let round = 0; round < 9; round++) {
      let started = performance.now()
      const a = await restLogin(`ghost-${round}@staff.test`, 'wrong password', address())
      unknown.push(performance.now() - started)
      started = performance.now()
      const b = await restLogin(victim.email, 'wrong password', address())
      known.push(performance.now() - started)
      expect([a.status, b.status]).toEqual([401, 401])
      unknownBody = JSON.stringify(a.json)
      knownBody = JSON.stringify(b.json)
    }
    expect(unknownBody).toBe(knownBody)
    const difference = Math.abs(median(unknown) - median(known))
    console.info(`sign-in timing: unknown email median ${median(unknown).toFixed(0)} ms, wrong password ${median(known).toFixed(0)} ms`)
    expect(difference).toBeLessThan(25)
  })
})

const forgot = (path: '/users' | '/accounts', email: string, from: string) =>
  sendJson({
    method: 'POST',
    path: `${path}/forgot-password`,
    body: JSON.stringify({ email }),
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, 'accept-language': 'en' },
  })

describe('forgot password (F8)', { timeout: 120_000 }, () => {
  it('is limited like sign-in: per address and email, REST and GraphQL, users and accounts', async () => {
    for (const path of ['/users', '/accounts'] as const) {
      const from = address()
      const statuses: number[] = []
      let refused: { errors?: { message: string }[] } = {}
      for (let attempt = 0; attempt < 7; attempt++) {
        const res = await forgot(path, victim.email, from)
        statuses.push(res.status)
        if (res.status === 429) refused = res.json
      }
      expect([path, statuses.slice(5)]).toEqual([path, [429, 429]])
      // Said as what it is: a reset, not a sign-in.
      expect(refused.errors?.[0].message).toMatch(/^Too many password reset requests\. Try again in \d+ s\.$/)
      expect(statuses.slice(0, 5).every((status) => status !== 429)).toBe(true)
    }
    for (const mutation of ['forgotPasswordUser', 'forgotPasswordAccount']) {
      const from = address()
      const statuses = await statusesOf(7, () =>
        sendJson({
          method: 'POST',
          path: '/graphql',
          body: JSON.stringify({ query: `mutation($e: String!) { ${mutation}(email: $e) }`, variables: { e: victim.email } }),
          headers: { 'content-type': 'application/json', 'x-forwarded-for': from, 'accept-language': 'en' },
        }),
      )
      expect([mutation, statuses.at(-1)]).toEqual([mutation, 429])
    }
  })

  it('known and unknown emails answer alike in about the same time', async () => {
    // A colleague of their own: the victim's email bucket is spent by the tests above.
    const colleague = (await createStaff(payload, ['admin'])).user
    const unknown: number[] = []
    const known: number[] = []
    let unknownBody = ''
    let knownBody = ''
    for (let round = 0; round < 7; round++) {
      let started = performance.now()
      const a = await forgot('/users', `ghost-${round}@staff.test`, address())
      unknown.push(performance.now() - started)
      started = performance.now()
      const b = await forgot('/users', colleague.email, address())
      known.push(performance.now() - started)
      expect([a.status, b.status]).toEqual([200, 200])
      unknownBody = JSON.stringify(a.json)
      knownBody = JSON.stringify(b.json)
    }
    expect(unknownBody).toBe(knownBody)
    console.info(`forgot-password timing: unknown email median ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`)
    // Every answer waits out the floor, which is far above the work either kind of email costs.
    expect(Math.min(...unknown, ...known)).toBeGreaterThanOrEqual(FORGOT_PASSWORD_FLOOR_MS)
    expect(Math.abs(median(unknown) - median(known))).toBeLessThan(5)
  })
})
