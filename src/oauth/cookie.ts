import { viaHttps } from '../http/cookies'
import type { OAuthPlatform } from './state'

/**
 * The cookie that ties an OAuth flow to the browser that began it. Lax, because the platform
 * sends the browser back with a top-level GET from its own site; scoped to this platform's
 * OAuth paths, so a second flow for another platform does not overwrite it.
 */
const name = (platform: OAuthPlatform) => `pf-oauth-${platform}`
const attributes = (platform: OAuthPlatform, request: Request) =>
  `Path=/api/oauth/${platform}; HttpOnly; SameSite=Lax${viaHttps(request) ? '; Secure' : ''}`

export const browserCookie = (platform: OAuthPlatform, request: Request, nonce: string) =>
  `${name(platform)}=${nonce}; Max-Age=600; ${attributes(platform, request)}`

export const clearBrowserCookie = (platform: OAuthPlatform, request: Request) =>
  `${name(platform)}=; Max-Age=0; ${attributes(platform, request)}`

export function browserNonceOf(platform: OAuthPlatform, request: Request): string | undefined {
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=')
    if (key === name(platform)) return value.join('=')
  }
  return undefined
}
