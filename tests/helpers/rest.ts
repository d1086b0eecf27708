import * as restRoute from '../../src/app/(payload)/api/[...slug]/route'
import * as graphqlRoute from '../../src/app/(payload)/api/graphql/route'

/**
 * Calls the very route handlers Next mounts under /api (src/app/(payload)/api: Payload's
 * handlers behind our guard), in-process, so REST and GraphQL are tested through the real HTTP
 * layer without a running server.
 */
const handlers = {
  GET: restRoute.GET,
  POST: restRoute.POST,
  PATCH: restRoute.PATCH,
  DELETE: restRoute.DELETE,
}
const graphql = graphqlRoute.POST

export type Auth = { apiKey?: { collection: 'accounts' | 'users'; key: string }; token?: string }

function headers(auth: Auth | undefined, extra: Record<string, string> = {}): Headers {
  const h = new Headers({ 'Content-Type': 'application/json', ...extra })
  if (auth?.apiKey) h.set('Authorization', `${auth.apiKey.collection} API-Key ${auth.apiKey.key}`)
  if (auth?.token) h.set('Authorization', `JWT ${auth.token}`)
  return h
}

export async function rest(
  method: keyof typeof handlers,
  path: string,
  { auth, body, form, lang }: { auth?: Auth; body?: unknown; form?: FormData; lang?: string } = {},
): Promise<{ status: number; json: any }> {
  const url = new URL(`http://localhost:3000/api${path}`)
  const slug = url.pathname.replace(/^\/api\//, '').split('/')
  const h = headers(auth, lang ? { 'Accept-Language': lang } : {})
  if (form) h.delete('Content-Type')
  const request = new Request(url, {
    method,
    headers: h,
    body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
  })
  const response = await handlers[method](request, { params: Promise.resolve({ slug }) })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : null }
}

export async function gql(query: string, { auth, variables }: { auth?: Auth; variables?: Record<string, unknown> } = {}) {
  const request = new Request('http://localhost:3000/api/graphql', {
    method: 'POST',
    headers: headers(auth),
    body: JSON.stringify({ query, variables }),
  })
  const response = await graphql(request)
  return { status: response.status, json: (await response.json()) as { data?: any; errors?: { message: string; extensions?: any }[] } }
}
