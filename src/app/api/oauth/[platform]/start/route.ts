import { t } from '../../../../../i18n'
import { browserCookie } from '../../../../../oauth/cookie'
import { startOAuth } from '../../../../../oauth/flow'
import { oauthPage } from '../../../../../oauth/page'
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../../../../../oauth/state'

export const dynamic = 'force-dynamic'

export async function GET(request: Request, { params }: { params: Promise<{ platform: string }> }) {
  const { platform } = await params
  if (!(OAUTH_PLATFORMS as readonly string[]).includes(platform)) return new Response('Not found', { status: 404 })
  const ticket = new URL(request.url).searchParams.get('ticket') ?? ''
  const result = await startOAuth(platform as OAuthPlatform, ticket)
  if ('redirect' in result) {
    return new Response(null, {
      status: 302,
      headers: { Location: result.redirect, 'Set-Cookie': browserCookie(platform as OAuthPlatform, request, result.browserNonce), 'Cache-Control': 'no-store' },
    })
  }
  return oauthPage('ru', t('ru', result.error), result.error === 'oauth.not_configured' ? 503 : 400)
}
