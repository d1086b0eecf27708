import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Payload } from 'payload'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { GET as callback } from '../../src/app/api/oauth/[platform]/callback/route'
import { GET as start } from '../../src/app/api/oauth/[platform]/start/route'
import { reloadEnv } from '../../src/lib/env'
import { createTicket } from '../../src/oauth/state'
import { createTenant, type Tenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

/** The token and account endpoints of Pinterest v5 and the Facebook Graph API, as they answer. */
type Seen = { method: string; path: string; query: URLSearchParams; body: string; headers: IncomingMessage['headers'] }
const seen: Seen[] = []
let server: Server
let payload: Payload
let tenant: Tenant
let failToken = false
const savedEnv = { ...process.env }

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x')
    let body = ''
    for await (const chunk of req) body += chunk
    seen.push({ method: req.method!, path: url.pathname, query: url.searchParams, body, headers: req.headers })
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(json))
    }
    if (url.pathname === '/v5/oauth/token') {
      return failToken
        ? send(400, { code: 1, message: 'Invalid authorization code' })
        : send(200, { access_token: 'pina_access_token_123', refresh_token: 'pinr_refresh_token_456', expires_in: 2592000, token_type: 'bearer', scope: 'pins:write' })
    }
    if (url.pathname === '/v5/user_account') return send(200, { username: 'zerno_coffee', account_type: 'BUSINESS' })
    if (url.pathname === '/v5/boards') return send(200, { items: [{ id: '549755885175', name: 'Рецепты кофе' }], bookmark: null })
    if (url.pathname === '/graph/oauth/access_token') {
      return url.searchParams.get('grant_type') === 'fb_exchange_token'
        ? send(200, { access_token: 'EAAlonglivedtoken', token_type: 'bearer', expires_in: 5183944 })
        : send(200, { access_token: 'EAAshorttoken123', token_type: 'bearer', expires_in: 3600 })
    }
    if (url.pathname === '/graph/me/accounts') {
      return send(200, { data: [{ name: 'No IG page' }, { name: 'Zerno', id: '1', instagram_business_account: { id: '17841400000000000', username: 'zerno.coffee' } }] })
    }
    send(404, { error: { message: 'Unknown path' } })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  Object.assign(process.env, {
    PINTEREST_API_BASE: base,
    PINTEREST_OAUTH_URL: 'https://www.pinterest.com/oauth/',
    PINTEREST_CLIENT_ID: '1484362',
    PINTEREST_CLIENT_SECRET: 'pinterest-client-secret',
    INSTAGRAM_GRAPH_BASE: `${base}/graph`,
    INSTAGRAM_APP_ID: '987654321',
    INSTAGRAM_APP_SECRET: 'instagram-app-secret',
    SERVER_URL: 'https://app.postforge.test',
  })
  reloadEnv()
  payload = await testPayload()
  tenant = await createTenant(payload)
})

afterAll(() => {
  server?.close()
  process.env = savedEnv
  reloadEnv()
})

const params = (platform: string) => ({ params: Promise.resolve({ platform }) })

async function authorize(platform: 'pinterest' | 'instagram', account = tenant) {
  const ticket = await createTicket({ accountId: account.account.id, projectId: account.project.id, platform })
  const res = await start(new Request(`https://app.postforge.test/api/oauth/${platform}/start?ticket=${ticket}`), params(platform))
  expect(res.status).toBe(302)
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { ticket, location: new URL(res.headers.get('location')!), cookie }
}

/** The platform sends the browser back; the browser brings its cookies from the start step. */
const returnTo = (platform: string, query: string, cookie: string) =>
  callback(new Request(`https://app.postforge.test/api/oauth/${platform}/callback?${query}`, { headers: cookie ? { cookie } : {} }), params(platform))

describe('OAuth connections', () => {
  it('Pinterest: PKCE and state bound to the account, code exchanged, connection stored sealed', async () => {
    const { location, cookie } = await authorize('pinterest')
    expect(location.origin + location.pathname).toBe('https://www.pinterest.com/oauth/')
    expect(location.searchParams.get('code_challenge_method')).toBe('S256')
    expect(location.searchParams.get('redirect_uri')).toBe('https://app.postforge.test/api/oauth/pinterest/callback')
    const state = location.searchParams.get('state')!

    const res = await returnTo('pinterest', `code=abc&state=${state}`, cookie)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Pinterest @zerno_coffee')

    const tokenCall = seen.find((s) => s.path === '/v5/oauth/token')!
    const form = new URLSearchParams(tokenCall.body)
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(tokenCall.headers.authorization).toBe(`Basic ${Buffer.from('1484362:pinterest-client-secret').toString('base64')}`)
    const { createHash } = await import('node:crypto')
    expect(createHash('sha256').update(form.get('code_verifier')!).digest('base64url')).toBe(location.searchParams.get('code_challenge'))

    const { docs } = await payload.find({ collection: 'connections', where: { project: { equals: tenant.project.id }, platform: { equals: 'pinterest' } }, overrideAccess: true })
    expect(docs).toHaveLength(1)
    expect(docs[0].account).toMatchObject({ id: tenant.account.id })
    expect(docs[0].credentialsHint).toBe('token …_123, board 549755885175')
    expect(JSON.stringify(docs[0].credentials)).not.toContain('pina_access_token_123')
  })

  it('refuses a replayed state and an expired or reused ticket', async () => {
    const { ticket, location, cookie } = await authorize('pinterest')
    const replayTicket = await start(new Request(`https://app.postforge.test/api/oauth/pinterest/start?ticket=${ticket}`), params('pinterest'))
    expect(replayTicket.status).toBe(400)
    expect(await replayTicket.text()).toContain('Ссылка устарела')
    const state = location.searchParams.get('state')!
    await returnTo('pinterest', `code=abc&state=${state}`, cookie)
    const replay = await returnTo('pinterest', `code=abc&state=${state}`, cookie)
    expect(replay.status).toBe(400)
    const forged = await returnTo('pinterest', `code=abc&state=${'A'.repeat(32)}`, cookie)
    expect(forged.status).toBe(400)
  })

  it('a ticket for one platform cannot start another', async () => {
    const ticket = await createTicket({ accountId: tenant.account.id, projectId: tenant.project.id, platform: 'pinterest' })
    const res = await start(new Request(`https://app.postforge.test/api/oauth/instagram/start?ticket=${ticket}`), params('instagram'))
    expect(res.status).toBe(400)
  })

  it('explains a failed exchange in the customer language without creating anything', async () => {
    failToken = true
    const before = await payload.count({ collection: 'connections', where: { project: { equals: tenant.project.id } } })
    const { location, cookie } = await authorize('pinterest')
    const res = await returnTo('pinterest', `code=bad&state=${location.searchParams.get('state')}`, cookie)
    failToken = false
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('The platform did not confirm the connection')
    const after = await payload.count({ collection: 'connections', where: { project: { equals: tenant.project.id } } })
    expect(after.totalDocs).toBe(before.totalDocs)
  })

  it('Instagram: long-lived token and the linked business account', async () => {
    const { location, cookie } = await authorize('instagram')
    const res = await returnTo('instagram', `code=xyz&state=${location.searchParams.get('state')}`, cookie)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Instagram @zerno.coffee')
    const { docs } = await payload.find({ collection: 'connections', where: { project: { equals: tenant.project.id }, platform: { equals: 'instagram' } }, overrideAccess: true })
    expect(docs[0].credentialsHint).toBe('ig 17841400000000000 …oken')
    expect(seen.some((s) => s.query.get('grant_type') === 'fb_exchange_token')).toBe(true)
  })

  it('signing in again to the same Instagram account updates its connection instead of adding one', async () => {
    const other = await createTenant(payload, { name: 'Instagram twice' })
    for (const round of [1, 2]) {
      const { location, cookie } = await authorize('instagram', other)
      const res = await returnTo('instagram', `code=xyz&state=${location.searchParams.get('state')}`, cookie)
      expect(await res.text()).toContain(round === 1 ? 'Instagram @zerno.coffee is connected' : 'The connection “Instagram @zerno.coffee” is updated')
    }
    const { docs } = await payload.find({ collection: 'connections', where: { project: { equals: other.project.id } }, overrideAccess: true })
    expect(docs).toHaveLength(1)
  })

  it('a Pinterest connection saved before usernames were kept is recognised by its board', async () => {
    const other = await createTenant(payload, { name: 'Pinterest legacy' })
    const legacy = await payload.create({
      collection: 'connections',
      data: { displayName: 'Pinterest · old', platform: 'pinterest', project: other.project.id, status: 'needs_reconnect', credentials: { accessToken: 'pina_old_token_0000', boardId: '549755885175' } } as never,
      overrideAccess: true,
    })
    const { location, cookie } = await authorize('pinterest', other)
    await returnTo('pinterest', `code=abc&state=${location.searchParams.get('state')}`, cookie)
    const { docs } = await payload.find({ collection: 'connections', where: { project: { equals: other.project.id } }, overrideAccess: true })
    expect(docs.map((d) => [d.id, d.status, d.credentialsHint])).toEqual([[legacy.id, 'active', 'token …_123, board 549755885175']])
  })

  it('a customer who denies access is told so', async () => {
    const { location, cookie } = await authorize('pinterest')
    const res = await returnTo('pinterest', `error=access_denied&state=${location.searchParams.get('state')}`, cookie)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Access was not granted')
  })

  it("an attacker's consent link opened in the victim's browser attaches nothing", async () => {
    // The attacker starts a flow for their own project and sends the consent link to a victim.
    const attacker = await createTenant(payload, { name: 'Attacker' })
    const victimBrowser = (await authorize('pinterest')).cookie
    const before = await payload.count({ collection: 'connections', where: { project: { equals: attacker.project.id } } })

    for (const cookie of ['', victimBrowser]) {
      const { location, cookie: attackerCookie } = await authorize('pinterest', attacker)
      expect(attackerCookie).toMatch(/^pf-oauth-pinterest=[A-Za-z0-9_-]{32}$/)
      const res = await returnTo('pinterest', `code=victims-code&state=${location.searchParams.get('state')}`, cookie)
      expect(res.status).toBe(400)
      expect(await res.text()).toContain('in the same browser where you opened')
    }
    const after = await payload.count({ collection: 'connections', where: { project: { equals: attacker.project.id } } })
    expect(after.totalDocs).toBe(before.totalDocs)
  })

  it('a callback without the browser cookie does not use up the link: the real browser still finishes', async () => {
    const { location, cookie } = await authorize('pinterest')
    const state = location.searchParams.get('state')
    const stray = await returnTo('pinterest', `code=abc&state=${state}`, '')
    expect(stray.status).toBe(400)
    expect(await stray.text()).toContain('in the same browser where you opened')
    const real = await returnTo('pinterest', `code=abc&state=${state}`, cookie)
    expect(real.status, await real.clone().text()).toBe(200)
    // Used by the real browser, the state is gone for everyone.
    const replay = await returnTo('pinterest', `code=abc&state=${state}`, cookie)
    expect(replay.status).toBe(400)
  })

  it('the browser cookie is HttpOnly, Lax, limited to the OAuth paths, Secure on https, and cleared at the end', async () => {
    const ticket = await createTicket({ accountId: tenant.account.id, projectId: tenant.project.id, platform: 'pinterest' })
    const res = await start(new Request(`https://app.postforge.test/api/oauth/pinterest/start?ticket=${ticket}`), params('pinterest'))
    const [set] = res.headers.getSetCookie()
    expect(set).toMatch(/; HttpOnly/)
    expect(set).toMatch(/; SameSite=Lax/)
    expect(set).toMatch(/; Path=\/api\/oauth\/pinterest/)
    expect(set).toMatch(/; Secure/)
    const state = new URL(res.headers.get('location')!).searchParams.get('state')
    const done = await returnTo('pinterest', `error=access_denied&state=${state}`, set.split(';')[0])
    expect(done.headers.getSetCookie()[0]).toMatch(/^pf-oauth-pinterest=; .*Max-Age=0/)
  })
})
