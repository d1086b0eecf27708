import fc from 'fast-check'
import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createStaff, createTenant, type Tenant } from '../helpers/fixtures'
import { send, type RawRequest } from '../helpers/http'
import { testPayload } from '../helpers/payload'

/**
 * Property: no request, however malformed, gets a 5xx from REST or GraphQL, and memory stays
 * bounded. Paths, fields and GraphQL operations come from the Payload config and the live schema,
 * so a collection, field or endpoint added later is fuzzed without editing this file.
 *
 * Staff only read (a fuzzed bulk PATCH as an admin would rewrite rows other test files use at
 * the same time); customers and anonymous callers also write, within their own rights.
 */
let payload: Payload
let tenant: Tenant
let identities: Record<'anonymous' | 'customer' | 'staff' | 'forged', Record<string, string>>
const statuses = new Map<number, number>()
const failures: string[] = []
let requests = 0
let peakRss = 0
let baselineRss = 0
let sampler: NodeJS.Timeout

beforeAll(async () => {
  payload = await testPayload()
  tenant = await createTenant(payload, { name: 'Fuzz' })
  const staff = await createStaff(payload, ['admin'])
  identities = {
    anonymous: {},
    customer: { authorization: `accounts API-Key ${tenant.apiKey}` },
    staff: { authorization: `JWT ${staff.auth.token}` },
    forged: { authorization: 'JWT eyJhbGciOiJIUzI1NiJ9.e30.forged' },
  }
  baselineRss = process.memoryUsage().rss
  sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20)
})

afterAll(() => {
  clearInterval(sampler)
  const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`)
  console.info(
    `http fuzz: ${requests} requests; statuses ${histogram.join(', ')}; RSS baseline ${mb(baselineRss)} MB, peak ${mb(peakRss)} MB`,
  )
})

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

async function check(request: RawRequest, graphql = false) {
  if (failures.length >= 20) return
  requests++
  let status: number
  let detail = ''
  try {
    const response = await send(request)
    status = response.status
    const text = await response.text()
    // GraphQL reports resolver failures inside a 200: a 500 there is a 500 all the same.
    if (graphql && /"statusCode":5\d\d/.test(text)) {
      status = 599
      detail = text.slice(0, 300)
    } else if (status >= 500) detail = text.slice(0, 300)
  } catch (error) {
    status = 598
    detail = `threw ${(error as Error).stack?.slice(0, 400)}`
  }
  statuses.set(status, (statuses.get(status) ?? 0) + 1)
  if (status >= 500) {
    failures.push(`${request.method} ${request.path} ${JSON.stringify(request.headers)} ${String(request.body ?? '').slice(0, 200)} → ${status} ${detail}`)
  }
}

// ---- generators -------------------------------------------------------------------------------

const junkText = fc.oneof(
  fc.constantFrom('', 'abc', '-1', '0', '1', '1.5', '1e20', 'NaN', 'null', 'true', '[]', '{}', '2147483648', '12345678901234567890', '\u0000', 'a\u0000b', '%', '%E0%A4%A', '%00', "'; drop table users; --", '__proto__', 'constructor'),
  fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }).map(String),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
)

/** A path segment: usually encoded, sometimes raw junk (broken percent-encoding included). */
const segment = fc.oneof(
  { weight: 3, arbitrary: junkText.map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '%00', '..', '.', 'toString', '__proto__', 'constructor', 'versions', 'count', 'access', 'init', 'me', 'login', 'logout', 'refresh-token', 'unlock', 'forgot-password', 'file', 'move', 'duplicate') },
)

/** Endpoint paths from the config with their `:params` replaced by junk. */
const fillPattern = (pattern: string) =>
  fc
    .array(segment, { minLength: 4, maxLength: 4 })
    .map((values) => pattern.split('/').map((part, index) => (part.startsWith(':') ? values[index % 4] : part)).join('/'))

function pathArbitrary() {
  const collections = payload.config.collections.map((collection) => collection)
  const collectionPaths = fc.constantFrom(...collections).chain((collection) => {
    const patterns = (collection.endpoints || []).map((endpoint) => endpoint.path)
    const free = fc.array(segment, { maxLength: 3 }).map((rest) => ['', collection.slug, ...rest].join('/'))
    if (patterns.length === 0) return free
    return fc.oneof(fc.constantFrom(...patterns).chain((pattern) => fillPattern(`/${collection.slug}${pattern === '/' ? '' : pattern}`)), free)
  })
  const rootPatterns = payload.config.endpoints.map((endpoint) => endpoint.path)
  return fc.oneof(
    { weight: 6, arbitrary: collectionPaths },
    { weight: 1, arbitrary: fc.constantFrom(...rootPatterns).chain(fillPattern) },
    { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }).map((rest) => `/${rest.join('/')}`) },
  )
}

function fieldNames(): string[] {
  const names = new Set<string>(['id', 'createdAt', 'updatedAt'])
  for (const collection of payload.config.collections) for (const field of collection.flattenedFields) names.add(field.name)
  return [...names]
}

/** Relationship fields that point to several collections (compared as `{ relationTo, value }`). */
function polymorphicFields(): string[] {
  const names = new Set<string>()
  for (const collection of payload.config.collections) {
    for (const field of collection.flattenedFields) {
      if ((field.type === 'relationship' || field.type === 'upload') && Array.isArray(field.relationTo)) names.add(field.name)
    }
  }
  return [...names]
}

function queryArbitrary() {
  const fields = fc.oneof(fc.constantFrom(...fieldNames()), junkText)
  const operators = fc.constantFrom('equals', 'not_equals', 'in', 'not_in', 'like', 'contains', 'exists', 'greater_than', 'less_than', 'near', 'within', 'all', 'nope')
  // Values a filter might really carry (ids, id lists, slugs), besides junk.
  const values = fc.oneof(junkText, fc.constantFrom('4', '5,6', '1,abc', 'articles', 'true', 'null', ''))
  const polymorphic = fc.constantFrom(...polymorphicFields())
  const whereJson = fc.oneof(
    junkText,
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc.tuple(fc.oneof(fields, polymorphic), operators, fc.oneof(fc.integer(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant({ relationTo: 'articles', value: 4 }))).map(([field, op, value]) =>
      JSON.stringify({ or: [{ [field]: { [op]: value } }] }),
    ),
  )
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom('page', 'limit', 'depth', 'sort', 'locale', 'draft', 'pagination', 'trash', 'select[title]', 'populate[x]'), junkText),
    fc.tuple(fc.tuple(fields, operators).map(([field, op]) => `where[${field}][${op}]`), values),
    fc.tuple(fc.constantFrom('where', 'data'), whereJson),
    fc.tuple(fc.tuple(polymorphic, fc.constantFrom('', '.value', '.relationTo'), operators).map(([field, part, op]) => `where[${field}${part}][${op}]`), values),
    fc.tuple(fields.map((field) => `where[and][0][${field}][all]`), fc.constantFrom('5,6', '1', 'x')),
    fc.tuple(fc.tuple(fields, fields).map(([a, b]) => `where[or][0][${a}][${b}]`), junkText),
    fc.tuple(fc.constant('sort'), fields),
    fc.tuple(junkText, junkText),
  )
  return fc.array(fc.tuple(pair, fc.boolean()), { maxLength: 5 }).map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([[key, value], raw]) => (raw ? `${key}=${value}` : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)).join('&')}`,
  )
}

function bodyArbitrary() {
  const fields = fieldNames()
  const document = fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 10 })), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ body: undefined as string | undefined, type: undefined as string | undefined }) },
    { weight: 4, arbitrary: document.map((value) => ({ body: JSON.stringify(value), type: 'application/json' })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ body: JSON.stringify(value) ?? 'null', type: 'application/json' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(junkText, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/xml', 'APPLICATION/JSON', '', 'application/json; charset=latin1')).map(([body, type]) => ({ body, type })),
    },
    { weight: 1, arbitrary: fc.constantFrom('{"a":', '{"email":"a@b.c","password":"\u0000"}', '\ufeff{}', '{"__proto__":{"x":1}}').map((body) => ({ body, type: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.tuple(junkText, junkText).map(([payloadField, file]) => ({
        body: `--x\r\nContent-Disposition: form-data; name="_payload"\r\n\r\n${payloadField}\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="${file}"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n--x--\r\n`,
        type: 'multipart/form-data; boundary=x',
      })),
    },
  )
}

const headerArbitrary = fc.record({
  language: fc.constantFrom('ru', 'en', 'de', '', '\u00ff'),
  override: fc.constantFrom(undefined, 'GET', 'DELETE'),
  length: fc.constantFrom(undefined, '-1', 'abc', '99999999999', '0'),
})

function restRequest(writable: boolean) {
  const methods = writable ? ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'] : ['GET', 'OPTIONS']
  return fc
    .record({
      method: fc.constantFrom(...methods),
      path: pathArbitrary(),
      query: queryArbitrary(),
      body: bodyArbitrary(),
      headers: headerArbitrary,
    })
    .map(({ method, path, query, body, headers }): RawRequest => {
      const hasBody = method !== 'GET' && method !== 'OPTIONS' && body.body !== undefined
      const h: Record<string, string> = { 'accept-language': headers.language }
      if (hasBody && body.type) h['content-type'] = body.type
      if (headers.override) h['x-payload-http-method-override'] = headers.override
      if (hasBody && headers.length) h['content-length'] = headers.length
      return { method, path: `${path}${query}`, body: hasBody ? body.body : undefined, headers: h }
    })
}

type SchemaField = { name: string; args: { name: string }[] }

async function schemaFields(): Promise<{ queries: SchemaField[]; mutations: SchemaField[] }> {
  const response = await send({
    method: 'POST',
    path: '/graphql',
    body: JSON.stringify({ query: '{ __schema { queryType { fields { name args { name } } } mutationType { fields { name args { name } } } } }' }),
    headers: { 'content-type': 'application/json', ...identities.staff },
  })
  const { data } = (await response.json()) as { data: { __schema: { queryType: { fields: SchemaField[] }; mutationType: { fields: SchemaField[] } } } }
  return { queries: data.__schema.queryType.fields, mutations: data.__schema.mutationType.fields }
}

function graphqlRequest(fields: SchemaField[], operation: 'query' | 'mutation', auth: Record<string, string>) {
  const literal = fc.oneof(
    fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }).map(String),
    fc.constantFrom('1.5', '1e20', 'null', 'true', '"abc"', '"\\u0000"', '[1, "x"]', '{ equals: 1 }', '{ title: { equals: "\\u0000" } }', '{ or: [{ id: { equals: "x" } }] }', '$undefined', 'ENUM_JUNK'),
    fc.constantFrom(
      '{ secondaryKeywords: { all: [5, 6] } }',
      '{ id: { all: [1] } }',
      '{ document: { equals: 4 } }',
      '{ document: { in: ["articles"] } }',
      '{ or: [{ document: { exists: true } }] }',
    ),
    fc.string({ maxLength: 20 }).map((text) => JSON.stringify(text)),
  )
  const call = fc.constantFrom(...fields).chain((field) =>
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...(field.args.length ? field.args.map((a) => a.name) : ['x'])), fc.constantFrom('page', 'limit', 'where', 'id')), literal), { maxLength: 4 })
      .map((args) => {
        const unique = new Map(args)
        const list = unique.size ? `(${[...unique].map(([name, value]) => `${name}: ${value}`).join(', ')})` : ''
        return `${field.name}${list} { __typename }`
      }),
  )
  const document = fc.oneof(
    { weight: 6, arbitrary: fc.array(call, { minLength: 1, maxLength: 3 }).map((calls) => `${operation} { ${calls.join(' ')} }`) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...fields), fc.boolean()).map(
        ([field, cyclic]) => `fragment A on Query { ${cyclic ? '...B' : '__typename'} } fragment B on Query { ...A } ${operation} { ${field.name} { __typename } ...A }`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('{', '}}}', 'query { ' + 'a { '.repeat(200), '"\u0000"', 'query($v: Int) { __typename }', '#') },
  )
  return fc
    .record({ document, variables: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })), wrap: fc.constantFrom('object', 'array', 'string', 'broken') })
    .map(({ document, variables, wrap }): RawRequest => {
      const payloadBody =
        wrap === 'object' ? JSON.stringify({ query: document, variables }) : wrap === 'array' ? JSON.stringify([{ query: document }]) : wrap === 'string' ? JSON.stringify(document) : `{"query":${JSON.stringify(document).slice(0, -1)}`
      return { method: 'POST', path: '/graphql', body: payloadBody, headers: { 'content-type': 'application/json', ...auth } }
    })
}

// ---- properties -------------------------------------------------------------------------------

describe('fuzzing REST and GraphQL through the route handlers', () => {
  for (const [who, writable] of [['anonymous', true], ['customer', true], ['staff', false], ['forged', true]] as const) {
    it(`REST as ${who}: no 5xx`, { timeout: 240_000 }, async () => {
      failures.length = 0
      await fc.assert(
        fc.asyncProperty(restRequest(writable), async (request) => {
          await check({ ...request, headers: { ...request.headers, ...identities[who] } })
        }),
        { numRuns: 1500, seed: Number(process.env.FUZZ_SEED ?? 910) + who.length },
      )
      expect(failures).toEqual([])
    })
  }

  it('GraphQL: no 5xx, in the HTTP status or inside the answer', { timeout: 240_000 }, async () => {
    failures.length = 0
    const { queries, mutations } = await schemaFields()
    const cases = fc.oneof(
      graphqlRequest(queries, 'query', identities.staff),
      graphqlRequest(queries, 'query', identities.customer),
      graphqlRequest(mutations, 'mutation', identities.customer),
      graphqlRequest(mutations, 'mutation', identities.anonymous),
    )
    await fc.assert(
      fc.asyncProperty(cases, async (request) => {
        await check(request, true)
      }),
      { numRuns: 2000, seed: Number(process.env.FUZZ_SEED ?? 910) },
    )
    expect(failures).toEqual([])
  })

  it('memory stays bounded', () => {
    expect(peakRss - baselineRss).toBeLessThan(300 * 1024 * 1024)
  })
})
