import type { Payload } from 'payload'

import { connectOAuth } from '../connections/service'
import { env } from '../lib/env'
import { logger } from '../lib/logger'
import { OAUTH_PROVIDERS, OAuthError } from './providers'
import { beginAuthorization, completeAuthorization, redeemTicket, type OAuthPlatform } from './state'

export function redirectUri(platform: OAuthPlatform): string {
  return `${env().SERVER_URL.replace(/\/$/, '')}/api/oauth/${platform}/callback`
}

/**
 * Step 1: the customer's one-time link becomes a redirect to the platform's consent screen, and
 * the browser gets the nonce (`browserNonce`, for a cookie) that the callback must bring back.
 */
export async function startOAuth(
  platform: OAuthPlatform,
  ticket: string,
): Promise<{ redirect: string; browserNonce: string } | { error: OAuthError['code'] | 'oauth.link_expired' }> {
  const binding = await redeemTicket(ticket)
  if (!binding || binding.platform !== platform) return { error: 'oauth.link_expired' }
  try {
    const { state, challenge, browserNonce } = await beginAuthorization(binding)
    return { redirect: OAUTH_PROVIDERS[platform].authorizeUrl({ state, challenge, redirectUri: redirectUri(platform) }), browserNonce }
  } catch (error) {
    if (error instanceof OAuthError) return { error: error.code }
    throw error
  }
}

export type CallbackResult =
  | { ok: true; language: string; connectionId: number; displayName: string; replaced: boolean }
  | { ok: false; language: string; error: OAuthError['code'] | 'oauth.link_expired' | 'oauth.other_browser' }

/**
 * Step 2: the platform sends the customer back. The state must be ours, unexpired, unused and
 * come back to the browser it was issued to; the connection is saved as that account (its access
 * rules apply), credentials sealed: the one being reconnected, or the one of the same platform
 * account, is updated in place (see connectOAuth).
 */
export async function finishOAuth(
  payload: Payload,
  platform: OAuthPlatform,
  params: { code?: string | null; state?: string | null; error?: string | null; browserNonce?: string },
): Promise<CallbackResult> {
  const taken = params.state ? await completeAuthorization(params.state, params.browserNonce) : null
  if (!taken || taken.pending.platform !== platform) return { ok: false, language: 'ru', error: 'oauth.link_expired' }
  const { pending } = taken
  const account = await payload.findByID({ collection: 'accounts', id: pending.accountId, depth: 0, overrideAccess: true })
  const language = account.language ?? 'ru'
  if (!taken.sameBrowser) {
    logger().warn({ platform, account: account.id }, 'oauth callback from another browser refused')
    return { ok: false, language, error: 'oauth.other_browser' }
  }
  if (params.error || !params.code) return { ok: false, language, error: 'oauth.denied' }
  try {
    const connected = await OAUTH_PROVIDERS[platform].exchange({ code: params.code, verifier: pending.verifier, redirectUri: redirectUri(platform) })
    const { connection, replaced } = await connectOAuth(payload, account, pending.projectId, platform, connected, pending.connectionId)
    return { ok: true, language, connectionId: connection.id, displayName: connection.displayName, replaced }
  } catch (error) {
    if (error instanceof OAuthError) {
      logger().warn({ platform, account: account.id, reason: error.message }, 'oauth connection failed')
      return { ok: false, language, error: error.code }
    }
    throw error
  }
}
