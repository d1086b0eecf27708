import { env } from '../lib/env'

/** Session cookies are `Secure` wherever the site is served over https (SERVER_URL says so). */
export const secureCookies = () => env().SERVER_URL.startsWith('https://')

/** Whether this request reached us over https, directly or through a proxy that says so. */
export function viaHttps(request: Request): boolean {
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0].trim().toLowerCase()
  return forwarded ? forwarded === 'https' : new URL(request.url).protocol === 'https:'
}

/**
 * Adds `Secure` to the cookies of a response to an https request: SERVER_URL can still say http
 * while a proxy terminates TLS in front of us.
 */
export function secureSetCookies(request: Request, response: Response): Response {
  const cookies = response.headers.getSetCookie()
  if (cookies.length === 0 || !viaHttps(request) || cookies.every((c) => /;\s*secure\b/i.test(c))) return response
  const headers = new Headers(response.headers)
  headers.delete('set-cookie')
  for (const cookie of cookies) headers.append('set-cookie', /;\s*secure\b/i.test(cookie) ? cookie : `${cookie}; Secure`)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}
