import { t } from '../../../../../i18n'
import { startOAuth } from '../../../../../oauth/flow'
import { oauthPage } from '../../../../../oauth/page'
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../../../../../oauth/state'

export const dynamic = 'force-dynamic'

export async function GET(request: Request, { params }: { params: Promise<{ platform: string }> }) {
  const { platform } = await params
  if (!(OAUTH_PLATFORMS as readonly string[]).includes(platform)) return new Response('Not found', { status: 404 })
  const ticket = new URL(request.url).searchParams.get('ticket') ?? ''
  const result = await startOAuth(platform as OAuthPlatform, ticket)
  if ('redirect' in result) return Response.redirect(result.redirect, 302)
  return oauthPage('ru', t('ru', result.error), result.error === 'oauth.not_configured' ? 503 : 400)
}
