import { getIntrospectionQuery, GraphQLError } from 'graphql'
import type { Payload } from 'payload'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { logger } from '../../src/lib/logger'
import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { countedStream, sendJson, type RawRequest } from '../helpers/http'
import { testPayload } from '../helpers/payload'

let payload: Payload
let tenant: Tenant
let staffToken: string
let customer: Record<string, string>
let staff: Record<string, string>

beforeAll(async () => {
  payload = await testPayload()
  tenant = await createTenant(payload)
  staffToken = (await createStaff(payload, ['admin'])).auth.token!
  customer = { authorization: `accounts API-Key ${tenant.apiKey}`, 'accept-language': 'en' }
  staff = { authorization: `JWT ${staffToken}`, 'accept-language': 'en' }
})

afterEach(() => vi.restoreAllMocks())

const MB = 1024 * 1024
const json = { 'content-type': 'application/json' }

describe('request body limits (#7)', () => {
  it('refuses a declared 100 MB sign-in with 413 before reading its body', async () => {
    const body = countedStream(100 * MB)
    const res = await sendJson({
      method: 'POST',
      path: '/users/login',
      body: body.stream,
      headers: { ...json, 'content-length': String(100 * MB), 'accept-language': 'en' },
    })
    expect(res.status).toBe(413)
    expect(res.json.errors[0].message).toBe('The request body is larger than the 2 MB allowed here.')
    expect(body.pulled()).toBeLessThanOrEqual(MB)
  })

  it('counts a chunked body as it streams and stops reading at the limit, anonymously too', async () => {
    const rssBefore = process.memoryUsage().rss
    const body = countedStream(100 * MB, 256 * 1024)
    const res = await sendJson({ method: 'POST', path: '/users/login', body: body.stream, headers: json })
    expect(res.status).toBe(413)
    expect(res.json.errors[0].message).toBe('Тело запроса больше допустимых 2 MB для этого адреса.')
    // The limit plus what the stream reads ahead, not the 100 MB sent.
    expect(body.pulled()).toBeLessThanOrEqual(4 * MB)
    const grown = process.memoryUsage().rss - rssBefore
    console.info(`100 MB chunked sign-in: ${(body.pulled() / MB).toFixed(2)} MB read, RSS +${(grown / MB).toFixed(1)} MB, ${res.status}`)
    expect(grown).toBeLessThan(40 * MB)
  })

  it('limits GraphQL to 256 KB, JSON to 2 MB and uploads to 20 MB', async () => {
    const query = `{ Projects { docs { id } } } #${'x'.repeat(300 * 1024)}`
    const graphql = await sendJson({ method: 'POST', path: '/graphql', body: JSON.stringify({ query }), headers: { ...json, ...customer } })
    expect(graphql.status).toBe(413)
    expect(graphql.json.errors[0].message).toContain('256 KB')

    const bigJson = JSON.stringify({ name: 'x'.repeat(3 * MB), account: tenant.account.id })
    const rest = await sendJson({ method: 'POST', path: '/projects', body: bigJson, headers: { ...json, ...customer } })
    expect(rest.status).toBe(413)

    const multipartTo = async (path: string, bytes: number) => {
      const form = new FormData()
      form.set('_payload', JSON.stringify({ alt: 'big', project: tenant.project.id }))
      form.set('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'big.png')
      const encoded = new Response(form)
      const body = new Uint8Array(await encoded.arrayBuffer())
      return sendJson({ method: 'POST', path, body, headers: { ...customer, 'content-type': encoded.headers.get('content-type')! } })
    }
    expect((await multipartTo('/media', 21 * MB)).status).toBe(413)
    // 3 MB is over the JSON limit but within the upload limit: it reaches Payload, which judges the file.
    const upload = await multipartTo('/media', 3 * MB)
    expect(upload.status).not.toBe(413)
    expect(upload.status).toBeLessThan(500)
    expect((await multipartTo('/projects', 3 * MB)).status).toBe(413)
  })
})

type Case = RawRequest & { status: number; code?: string }

const hostile = (): Case[] => {
  const project = tenant.project.id
  const cases: Case[] = [
    { method: 'POST', path: '/projects', body: 'null', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'PATCH', path: `/projects/${project}`, body: 'null', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'POST', path: '/projects', body: '[1,2]', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'POST', path: '/projects', body: '{"name":', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'POST', path: '/projects', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
    { method: 'POST', path: '/projects', body: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 },
    { method: 'POST', path: '/projects', body: '{"name":"a\\u0000b"}', headers: json, status: 400, code: 'request.nul' },
    { method: 'GET', path: '/projects?where[name][equals]=%00', status: 400, code: 'request.nul' },
    { method: 'GET', path: '/projects?page=-1', status: 400, code: 'request.invalid_param' },
    { method: 'GET', path: '/projects?page=1e20', status: 400, code: 'request.invalid_param' },
    { method: 'GET', path: '/projects?limit=abc', status: 400, code: 'request.invalid_param' },
    { method: 'GET', path: '/projects?limit=1e20', status: 400, code: 'request.invalid_param' },
    { method: 'GET', path: '/projects?depth=99', status: 400, code: 'request.invalid_param' },
    { method: 'GET', path: '/projects/versions', status: 404, code: 'request.no_versions' },
    { method: 'GET', path: '/keywords/versions/1', status: 404, code: 'request.no_versions' },
    { method: 'GET', path: '/projects/%E0%A4%A', status: 400, code: 'request.bad_encoding' },
    { method: 'GET', path: '/projects?where[name][equals]=%E0%A4%A', status: 400, code: 'request.bad_encoding' },
    { method: 'POST', path: '/graphql', body: '{"query":', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'POST', path: '/graphql', body: 'null', headers: json, status: 400, code: 'request.bad_json' },
    { method: 'POST', path: '/graphql', body: '{"query":"{"}', headers: json, status: 400, code: 'request.graphql_invalid' },
    {
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: 'fragment A on Project { ...B } fragment B on Project { ...A } query { Projects { docs { ...A } } }' }),
      headers: json,
      status: 400,
      code: 'request.graphql_invalid',
    },
    { method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ Projects(page: -1) { docs { id } } }' }), headers: json, status: 400, code: 'request.invalid_param' },
    {
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: 'query($l: Int) { Projects(limit: $l) { docs { id } } }', variables: { l: 1e20 } }),
      headers: json,
      status: 400,
      code: 'request.invalid_param',
    },
    { method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ Projects(where: { name: { equals: "a\\u0000" } }) { docs { id } } }' }), headers: json, status: 400, code: 'request.nul' },
    { method: 'GET', path: '/projects?where[account][equals]=abc', status: 400, code: 'request.invalid_id' },
    { method: 'GET', path: '/projects?where[id][in]=1,abc', status: 400, code: 'request.invalid_id' },
    { method: 'GET', path: '/projects?where[id][equals]=99999999999', status: 400, code: 'request.invalid_id' },
    { method: 'GET', path: '/projects?where[id][within]=1', status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/toString', status: 404, code: 'request.not_found' },
    { method: 'GET', path: '/payload-migrations', status: 404, code: 'request.not_found' },
    { method: 'POST', path: '/keywords', status: 422, code: 'tenant.project_required' },
    { method: 'GET', path: '/articles?where=abc', status: 400, code: 'request.bad_json' },
    { method: 'GET', path: '/articles?where=[1]', status: 400, code: 'request.bad_json' },
    { method: 'GET', path: '/workflow-events?where[document][equals]=4', status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/workflow-events?where[document][in]=articles', status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/workflow-events?where[document][exists]=true', status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/workflow-events?where[or][0][document][not_equals]=4', status: 400, code: 'request.invalid' },
    { method: 'GET', path: `/workflow-events?where=${encodeURIComponent('{"document":{"in":[4]}}')}`, status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/articles?where[secondaryKeywords][all]=5,6', status: 400, code: 'request.invalid' },
    { method: 'GET', path: '/articles?where[and][0][title][all][0]=x', status: 400, code: 'request.invalid' },
    {
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: '{ Articles(where: { secondaryKeywords: { all: [5, 6] } }) { docs { id } } }' }),
      headers: json,
      status: 400,
      code: 'request.invalid',
    },
    {
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: 'query($w: Article_where) { Articles(where: $w) { docs { id } } }', variables: { w: { or: [{ secondaryKeywords: { all: [5] } }] } } }),
      headers: json,
      status: 400,
      code: 'request.invalid',
    },
  ]
  for (const id of ['abc', '1.5', '2147483648', '12345678901234567890', '0', '-1']) {
    cases.push({ method: 'GET', path: `/projects/${id}`, status: 400, code: 'request.invalid_id' })
    cases.push({ method: 'PATCH', path: `/articles/${id}`, body: '{}', headers: json, status: 400, code: 'request.invalid_id' })
    cases.push({ method: 'DELETE', path: `/posts/${id}`, status: 400, code: 'request.invalid_id' })
    cases.push({ method: 'GET', path: `/articles/versions/${id}`, status: 400, code: 'request.invalid_id' })
  }
  return cases
}

describe('hostile but harmless input is a 4xx with a clear message (#10)', () => {
  for (const as of ['customer', 'staff'] as const) {
    it(`as ${as}: every case answers its 4xx, in the asker's language, logged without a stack`, async () => {
      const errors = vi.spyOn(logger(), 'error')
      const infos = vi.spyOn(logger(), 'info')
      const auth = as === 'customer' ? customer : staff
      const failures: string[] = []
      for (const c of hostile()) {
        const res = await sendJson({ ...c, headers: { ...auth, ...c.headers } })
        const error = res.json?.errors?.[0]
        if (res.status !== c.status || (c.code && error?.data?.code !== c.code) || !/^[A-Z"]/.test(error?.message ?? '')) {
          failures.push(`${c.method} ${c.path} ${String(c.body ?? '').slice(0, 30)} → ${res.status} ${JSON.stringify(res.json).slice(0, 160)}`)
        }
      }
      expect(failures).toEqual([])
      // Payload logs its route errors with `error`; the logger writes a 4xx at info (F7 below).
      const faults = errors.mock.calls.filter(([fields]) => !((fields as { err?: { status?: number } })?.err?.status! < 500))
      expect(faults).toEqual([])
      const refusal = infos.mock.calls.find(([fields]) => (fields as { code?: string }).code === 'request.invalid_id')
      expect(refusal).toBeDefined()
      expect(JSON.stringify(refusal)).not.toContain('stack')
    })
  }

  it('a value PostgreSQL rejects as data past the guard is a 400 (GraphQL where on a relationship)', async () => {
    const res = await sendJson({
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: '{ Projects(where: { account: { equals: "99999999999" } }) { docs { id } } }' }),
      headers: { ...json, ...staff },
    })
    expect(res.status).toBe(200)
    expect(res.json.errors[0].extensions.statusCode).toBe(400)
    expect(res.json.errors[0].message).toBe('The request is not valid: a value does not fit its field')
  })

  it('a missing upload file is a 404, and admin preferences are for staff only', async () => {
    const file = await sendJson({ method: 'GET', path: '/media/file/nope.png', headers: staff })
    expect(file.status).toBe(404)
    const preference = await sendJson({ method: 'DELETE', path: '/payload-preferences/nav', headers: customer })
    expect(preference.status).toBe(403)
  })

  it('a job id of 20 digits is a 422 for staff, not a database error', async () => {
    const res = await sendJson({ method: 'POST', path: '/jobs/12345678901234567890/retry', headers: staff })
    expect(res.status).toBe(422)
    expect(res.json.errors[0].data.code).toBe('request.invalid')
  })

  it('an image upload with its _payload passes the guard, as the admin sends it', async () => {
    const sharp = (await import('sharp')).default
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c08040' } }).png().toBuffer()
    const form = new FormData()
    form.set('_payload', JSON.stringify({ alt: 'Зёрна', project: tenant.project.id }))
    form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'beans.png')
    const encoded = new Response(form)
    const body = new Uint8Array(await encoded.arrayBuffer())
    const res = await sendJson({ method: 'POST', path: '/media', body, headers: { ...customer, 'content-type': encoded.headers.get('content-type')! } })
    expect(res.status).toBe(201)
    expect(res.json.doc.alt).toBe('Зёрна')
    const broken = new FormData()
    broken.set('_payload', '{"alt":')
    const brokenBody = new Response(broken)
    const refused = await sendJson({ method: 'POST', path: '/media', body: new Uint8Array(await brokenBody.arrayBuffer()), headers: { ...customer, 'content-type': brokenBody.headers.get('content-type')! } })
    expect(refused.status).toBe(400)
    expect(refused.json.errors[0].data.code).toBe('request.bad_json')
  })

  it('well-formed requests still pass: create, read, page and update through the guard', async () => {
    const created = await sendJson({ method: 'POST', path: '/projects', body: JSON.stringify({ name: 'Через охрану' }), headers: { ...json, ...customer } })
    expect(created.status).toBe(201)
    const id = created.json.doc.id
    expect((await sendJson({ method: 'GET', path: `/projects/${id}?depth=0`, headers: customer })).json.name).toBe('Через охрану')
    const page = await sendJson({ method: 'GET', path: '/projects?page=1&limit=5&where[name][equals]=%D0%A7%D0%B5%D1%80%D0%B5%D0%B7%20%D0%BE%D1%85%D1%80%D0%B0%D0%BD%D1%83', headers: customer })
    expect(page.json.totalDocs).toBe(1)
    const patched = await sendJson({ method: 'PATCH', path: `/projects/${id}`, body: JSON.stringify({ niche: 'кофе' }), headers: { 'content-type': 'application/json; charset=utf-8', ...customer } })
    expect(patched.status).toBe(200)
    const gql = await sendJson({ method: 'POST', path: '/graphql', body: JSON.stringify({ query: 'query($l: Int) { Projects(limit: $l, page: 1) { docs { id } } }', variables: { l: 5 } }), headers: { ...json, ...customer } })
    expect(gql.status).toBe(200)
    expect(gql.json.data.Projects.docs.length).toBeGreaterThan(0)
  })
})

describe('GraphQL documents are sized before they run (F2)', () => {
  const gql = (query: string, headers: Record<string, string>) =>
    sendJson({ method: 'POST', path: '/graphql', body: JSON.stringify({ query }), headers: { ...json, ...headers } })
  const aliases = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`

  it('refuses 480 aliases of one list query, anonymously, in milliseconds and before any query runs', async () => {
    const query = aliases(480, 'Articles { totalDocs }')
    expect(query.length).toBeGreaterThan(9000)
    // What any refused document costs on this machine right now (the route, its parse, the error
    // answer): a one-line one that does not parse. Asked twice, the first also builds the GraphQL
    // schema if nothing in this run has; the second is the measure.
    const tiny = async () => {
      const began = performance.now()
      const answer = await gql('{ Articles { totalDocs }', { 'accept-language': 'en' })
      expect(answer.json.errors[0].data.code).toBe('request.graphql_invalid')
      return performance.now() - began
    }
    await tiny()
    const baseline = await tiny()
    const queries = vi.spyOn(payload.db, 'find')
    const started = performance.now()
    const res = await gql(query, { 'accept-language': 'en' })
    const took = performance.now() - started
    console.info(`480-alias GraphQL query: ${res.status} in ${took.toFixed(1)} ms (a one-line refused document: ${baseline.toFixed(1)} ms)`)
    expect(res.status).toBe(400)
    expect(res.json.errors[0].data.code).toBe('request.graphql_invalid')
    expect(res.json.errors[0].message).toMatch(/root fields/)
    // Sizing the 9 KB document adds milliseconds to what refusing any document costs.
    expect(took - baseline).toBeLessThan(250)
    expect(queries).not.toHaveBeenCalled()
  })

  it('refuses 250 aliases of a 100-row page with a key, and counts a list by its limit', async () => {
    const many = await gql(aliases(250, 'Articles(limit: 100) { docs { id } }'), customer)
    expect(many.status).toBe(400)
    // Few root fields, but each asks for 1000 rows of many fields.
    const heavy = await gql(aliases(8, 'Articles(limit: 1000) { docs { id title slug createdAt updatedAt } }'), customer)
    expect(heavy.status).toBe(400)
    expect(heavy.json.errors[0].message).toMatch(/complexity/)
  })

  it('refuses a document with thousands of selections spread through fragments', async () => {
    const fields = Array.from({ length: 40 }, () => 'id').join(' ')
    const fragments = Array.from({ length: 6 }, (_, i) => `fragment F${i} on Article { ${fields} ${i > 0 ? `...F${i - 1} ...F${i - 1}` : ''} }`).join(' ')
    const res = await gql(`${fragments} query { Articles(limit: 1) { docs { ...F5 } } }`, customer)
    expect(res.status).toBe(400)
  })

  it('runs at most 4 GraphQL requests of one client at once: the rest are a 429 at once, others unaffected', async () => {
    const query = '{ Articles(limit: 50) { docs { id title } } Projects { docs { id } } }'
    const from = { ...staff, 'x-forwarded-for': '198.51.100.77' }
    const elsewhere = { ...staff, 'x-forwarded-for': '198.51.100.79' }
    const [burst, other] = await Promise.all([Promise.all(Array.from({ length: 10 }, () => gql(query, from))), gql(query, elsewhere)])
    expect(other.status).toBe(200)
    const statuses = burst.map((res) => res.status).sort()
    expect(statuses.filter((status) => status === 200)).toHaveLength(4)
    expect(statuses.filter((status) => status === 429)).toHaveLength(6)
    expect(burst.find((res) => res.status === 429)!.json.errors[0].message).toMatch(/^Too many GraphQL requests at once from your address \(at most 4\)/)
    expect((await gql(query, from)).status).toBe(200)
  })

  it('an admin-sized query still runs', async () => {
    const query = `{
      Articles(limit: 100, sort: "-createdAt") { totalDocs docs { id title createdAt project { id name } } }
      Projects(limit: 50) { docs { id name } }
      recent: Articles(limit: 10) { docs { id } }
      me: meUser { user { id email } }
    }`
    const res = await gql(query, staff)
    expect(res.status).toBe(200)
    expect(res.json.errors).toBeUndefined()
    expect(res.json.data.Articles.docs).toEqual(expect.any(Array))
    // GraphiQL's and code generators' full introspection fits too.
    const introspection = await gql(getIntrospectionQuery(), staff)
    expect(introspection.json.errors).toBeUndefined()
    expect(introspection.json.data.__schema.queryType.name).toBe('Query')
  })
})

describe('where filters Payload cannot run are a 400, not a 500 (F6)', () => {
  it('anonymous: a where that is not JSON is a 400 with the parser\'s reason', async () => {
    const res = await sendJson({ method: 'GET', path: '/articles?where=abc', headers: { 'accept-language': 'en' } })
    expect(res.status).toBe(400)
    expect(res.json.errors[0].message).toMatch(/^The request body must be a JSON object|^The request is not valid/)
  })

  it('GraphQL: a polymorphic relationship compared with a bare id is a clear client error (the schema refuses it)', async () => {
    for (const where of ['{ document: { equals: 4 } }', '{ document: { in: ["articles"] } }', '{ OR: [{ document: { exists: true } }] }']) {
      const res = await sendJson({
        method: 'POST',
        path: '/graphql',
        body: JSON.stringify({ query: `{ WorkflowEvents(where: ${where}) { docs { id } } }` }),
        headers: { ...json, ...customer },
      })
      // The schema types it as { relationTo, value }: a validation error naming the field, no 500.
      const error = res.json.errors?.[0]
      expect([where, res.status < 500, error?.extensions?.statusCode ?? 400, error?.message]).toEqual([
        where,
        true,
        400,
        expect.stringMatching(/WorkflowEvent_document_Relation|several collections/),
      ])
    }
  })

  it('past the guard, a filter the database adapter cannot run is a 400 in REST and GraphQL, not a 500', async () => {
    const { APIError } = await import('payload')
    const { answerInputErrorsWith4xx } = await import('../../src/http/errors')
    const req = { headers: new Headers({ 'accept-language': 'en' }) } as never
    // What @payloadcms/drizzle throws for a path it cannot query, and for an operator it lacks.
    const rest = await answerInputErrorsWith4xx({ error: new APIError('Not supported'), req, result: {} } as never)
    expect(rest).toMatchObject({ status: 400, response: { errors: [{ data: { code: 'request.invalid' } }] } })
    const missing = new TypeError('a.operators[P] is not a function')
    const graphql = await answerInputErrorsWith4xx({
      error: new GraphQLError(missing.message, { originalError: missing }),
      graphqlResult: { message: 'Something went wrong.', extensions: { statusCode: 500 } },
      req,
    } as never)
    expect(graphql).toMatchObject({ graphqlResult: { extensions: { statusCode: 400 }, message: expect.stringMatching(/^The request is not valid: this filter/) } })
    // Anything else stays the server's fault.
    expect(await answerInputErrorsWith4xx({ error: new TypeError('x is not a function'), req, result: {} } as never)).toBeUndefined()
  })

  it('filters Payload can run still pass: polymorphic by value and relationTo, hasMany by in', async () => {
    for (const path of [
      '/workflow-events?where[document.value][equals]=4',
      '/workflow-events?where[document.relationTo][equals]=articles',
      `/workflow-events?where=${encodeURIComponent('{"document":{"equals":{"relationTo":"articles","value":4}}}')}`,
      '/articles?where[secondaryKeywords][in]=5,6',
      `/articles?where=${encodeURIComponent('{"title":{"like":"x"}}')}`,
    ]) {
      const res = await sendJson({ method: 'GET', path, headers: staff })
      expect([path, res.status]).toEqual([path, 200])
    }
  })
})

describe('refusals are logged by status, not by error class name (F7)', () => {
  it('a minified 4xx class logs at info without a stack; a 5xx stays an error with its stack', async () => {
    const { APIError, logError } = await import('payload')
    const { createLogger } = await import('../../src/lib/logger')
    const lines: Array<Record<string, unknown>> = []
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } })
    // What `next build` leaves of Payload's Forbidden and of a server fault: one-letter names.
    class k extends APIError {}
    class s extends APIError {}
    const refused = new k('You are not allowed to perform this action.', 403)
    const broken = new s('database went away', 500)
    expect(refused.name).toBe('k')
    logError({ err: refused, payload: { ...payload, logger: log, config: payload.config } as Payload })
    logError({ err: broken, payload: { ...payload, logger: log, config: payload.config } as Payload })
    const graphql = new GraphQLError('Not allowed', { originalError: new k('Not allowed', 401) })
    logError({ err: graphql, payload: { ...payload, logger: log, config: payload.config } as Payload })
    expect(lines.map((line) => line.level)).toEqual([30, 50, 30])
    expect(lines[0]).toMatchObject({ msg: 'You are not allowed to perform this action.', status: 403 })
    expect(JSON.stringify(lines[0])).not.toContain('stack')
    expect(JSON.stringify(lines[2])).not.toContain('stack')
    expect(JSON.stringify(lines[1])).toContain('stack')
    // The caller's own fields stay on the refusal's line: whose request it was, on what.
    log.warn({ err: new k('Not yours', 403), accountId: 42, publicationId: 7 }, 'refused')
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'Not yours', status: 403, accountId: 42, publicationId: 7 })
    expect(JSON.stringify(lines.at(-1))).not.toContain('stack')
  })
})

describe('session cookie (#8)', () => {
  it('is Secure behind a proxy that forwards https, and not on plain http', async () => {
    const { user } = await createStaff(payload, ['editor'])
    const login = (headers: Record<string, string>) =>
      sendJson({
        method: 'POST',
        path: '/users/login',
        body: JSON.stringify({ email: user.email, password: 'correct horse battery staple' }),
        headers: { ...json, 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250)}`, ...headers },
      })
    const https = await login({ 'x-forwarded-proto': 'https' })
    expect(https.status).toBe(200)
    expect(https.headers.getSetCookie().find((c) => c.startsWith('payload-token='))).toMatch(/;\s*Secure/i)
    const http = await login({})
    expect(http.headers.getSetCookie().find((c) => c.startsWith('payload-token='))).not.toMatch(/;\s*Secure/i)

    const graphql = await sendJson({
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { loginUser(email: $e, password: $p) { token } }', variables: { e: user.email, p: 'correct horse battery staple' } }),
      headers: { ...json, 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.77' },
    })
    expect(graphql.json.data.loginUser.token).toEqual(expect.any(String))
    expect(graphql.headers.getSetCookie().find((c) => c.startsWith('payload-token='))).toMatch(/;\s*Secure/i)
  })
})
