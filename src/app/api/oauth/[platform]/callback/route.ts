import config from '@payload-config'
import { getPayload } from 'payload'

import { t } from '../../../../../i18n'
import { browserNonceOf, clearBrowserCookie } from '../../../../../oauth/cookie'
import { finishOAuth } from '../../../../../oauth/flow'
import { oauthPage } from '../../../../../oauth/page'
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../../../../../oauth/state'

export const dynamic = 'force-dynamic'

export async function GET(request: Request, { params }: { params: Promise<{ platform: string }> }) {
  const { platform: raw } = await params
  if (!(OAUTH_PLATFORMS as readonly string[]).includes(raw)) return new Response('Not found', { status: 404 })
  const platform = raw as OAuthPlatform
  const query = new URL(request.url).searchParams
  const result = await finishOAuth(await getPayload({ config }), platform, {
    code: query.get('code'),
    state: query.get('state'),
    error: query.get('error'),
    browserNonce: browserNonceOf(platform, request),
  })
  const headers = { 'Set-Cookie': clearBrowserCookie(platform, request) }
  if (result.ok) {
    const said = t(result.language, result.replaced ? 'oauth.reconnected' : 'oauth.connected', { name: result.displayName })
    return oauthPage(result.language, said, 200, headers)
  }
  return oauthPage(result.language, t(result.language, result.error), result.error === 'oauth.exchange_failed' ? 502 : 400, headers)
}
