import { NextResponse, type NextRequest } from 'next/server'

import { pageCsp } from './http/securityHeaders.mjs'

/**
 * Pages only (see the matcher): a fresh nonce per request for the admin's CSP. Next reads the
 * policy from the request headers and stamps the nonce on its scripts. API routes are left out on
 * purpose: a proxy in front of a route makes Next copy its request body, which would undo the
 * body limits of src/http.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
  const policy = pageCsp(nonce, process.env.NODE_ENV === 'development')
  const headers = new Headers(request.headers)
  headers.set('content-security-policy', policy)
  const response = NextResponse.next({ request: { headers } })
  response.headers.set('content-security-policy', policy)
  return response
}

export const config = {
  matcher: [{ source: '/((?!api/|_next/static|_next/image|favicon.ico).*)' }],
}
