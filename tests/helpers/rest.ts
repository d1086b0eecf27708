import { send } from './http'

/**
 * REST and GraphQL as a client of our API calls them, through the very route handlers Next mounts
 * under /api (tests/helpers/http.ts), in-process, so tests go through the real HTTP layer without
 * a running server.
 */
export type Auth = { apiKey?: { collection: 'accounts' | 'users'; key: string }; token?: string }

function headers(auth: Auth | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...extra }
  if (auth?.apiKey) h.authorization = `${auth.apiKey.collection} API-Key ${auth.apiKey.key}`
  if (auth?.token) h.authorization = `JWT ${auth.token}`
  return h
}

export async function rest(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  { auth, body, form, lang }: { auth?: Auth; body?: unknown; form?: FormData; lang?: string } = {},
): Promise<{ status: number; json: any }> {
  const h = headers(auth, lang ? { 'accept-language': lang } : {})
  // FormData sets its own multipart content type with the boundary.
  if (form) delete h['content-type']
  const response = await send({ method, path, headers: h, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : null }
}

export async function gql(query: string, { auth, variables }: { auth?: Auth; variables?: Record<string, unknown> } = {}) {
  const response = await send({ method: 'POST', path: '/graphql', headers: headers(auth), body: JSON.stringify({ query, variables }) })
  return { status: response.status, json: (await response.json()) as { data?: any; errors?: { message: string; extensions?: any }[] } }
}
