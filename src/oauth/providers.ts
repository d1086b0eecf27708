import { z } from 'zod'

import { env } from '../lib/env'
import { PublishError } from '../publishing/connector'
import { pinterestBoards, type PinterestBoard } from '../publishing/connectors/pinterest'
import type { OAuthPlatform } from './state'

export class OAuthError extends Error {
  constructor(
    public readonly code: 'oauth.denied' | 'oauth.exchange_failed' | 'oauth.no_instagram_account' | 'oauth.not_configured',
    detail?: string,
  ) {
    super(detail ?? code)
    this.name = 'OAuthError'
  }
}

/**
 * Who signed in and with what: `externalId` is the platform's account (the Pinterest user, the
 * Instagram business account), so signing in again as them updates their connection; Pinterest
 * also lists the boards, one of which the connection pins to.
 */
export type Connected = {
  displayName: string
  externalId: string
  credentials: Record<string, unknown>
  boards?: PinterestBoard[]
}

export type OAuthProvider = {
  authorizeUrl(args: { state: string; challenge: string; redirectUri: string }): string
  exchange(args: { code: string; verifier: string; redirectUri: string }): Promise<Connected>
}

const TIMEOUT_MS = 15_000

async function json<S extends z.ZodType>(schema: S, response: Response, what: string): Promise<z.infer<S>> {
  const body = await response.json().catch(() => null)
  if (!response.ok) {
    const message = (body as { message?: string; error?: { message?: string } } | null)?.error?.message ?? (body as { message?: string } | null)?.message
    throw new OAuthError('oauth.exchange_failed', `${what}: HTTP ${response.status}${message ? ` ${message}` : ''}`)
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw new OAuthError('oauth.exchange_failed', `${what}: unexpected response`)
  return parsed.data
}

function configured(id: string | undefined, secret: string | undefined) {
  if (!id || !secret) throw new OAuthError('oauth.not_configured')
  return { id, secret }
}

const pinterest: OAuthProvider = {
  authorizeUrl({ state, challenge, redirectUri }) {
    const { id } = configured(env().PINTEREST_CLIENT_ID, env().PINTEREST_CLIENT_SECRET)
    const url = new URL(env().PINTEREST_OAUTH_URL)
    url.search = new URLSearchParams({
      client_id: id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'boards:read,pins:read,pins:write,user_accounts:read',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()
    return url.toString()
  },
  async exchange({ code, verifier, redirectUri }) {
    const { id, secret } = configured(env().PINTEREST_CLIENT_ID, env().PINTEREST_CLIENT_SECRET)
    const base = env().PINTEREST_API_BASE.replace(/\/$/, '')
    const token = await json(
      z.object({ access_token: z.string().min(10), refresh_token: z.string().min(10).optional(), expires_in: z.number().optional() }),
      await fetch(`${base}/v5/oauth/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }),
      'token',
    )
    const user = await json(
      z.object({ username: z.string() }),
      await fetch(`${base}/v5/user_account`, { headers: { Authorization: `Bearer ${token.access_token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) }),
      'user',
    )
    const boards = await pinterestBoards({ accessToken: token.access_token }).catch((error: unknown) => {
      if (error instanceof PublishError) throw new OAuthError('oauth.exchange_failed', `boards: ${error.detail}`)
      throw error
    })
    return {
      displayName: `Pinterest @${user.username}`,
      externalId: user.username,
      boards,
      credentials: {
        accessToken: token.access_token,
        username: user.username,
        ...(token.refresh_token ? { refreshToken: token.refresh_token } : {}),
        ...(token.expires_in ? { expiresAt: new Date(Date.now() + token.expires_in * 1000).toISOString() } : {}),
      },
    }
  },
}

const instagram: OAuthProvider = {
  authorizeUrl({ state, challenge, redirectUri }) {
    const { id } = configured(env().INSTAGRAM_APP_ID, env().INSTAGRAM_APP_SECRET)
    const url = new URL(env().INSTAGRAM_OAUTH_URL)
    url.search = new URLSearchParams({
      client_id: id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'instagram_basic,instagram_content_publish,pages_show_list,business_management',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()
    return url.toString()
  },
  async exchange({ code, verifier, redirectUri }) {
    const { id, secret } = configured(env().INSTAGRAM_APP_ID, env().INSTAGRAM_APP_SECRET)
    const base = env().INSTAGRAM_GRAPH_BASE.replace(/\/$/, '')
    const Token = z.object({ access_token: z.string().min(10), expires_in: z.number().optional() })
    const short = await json(
      Token,
      await fetch(`${base}/oauth/access_token?${new URLSearchParams({ client_id: id, client_secret: secret, redirect_uri: redirectUri, code, code_verifier: verifier })}`, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }),
      'token',
    )
    const long = await json(
      Token,
      await fetch(
        `${base}/oauth/access_token?${new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: id, client_secret: secret, fb_exchange_token: short.access_token })}`,
        { signal: AbortSignal.timeout(TIMEOUT_MS) },
      ),
      'long-lived token',
    )
    const pages = await json(
      z.object({
        data: z.array(z.object({ name: z.string(), instagram_business_account: z.object({ id: z.string(), username: z.string().optional() }).optional() })),
      }),
      await fetch(`${base}/me/accounts?${new URLSearchParams({ fields: 'name,instagram_business_account{id,username}', access_token: long.access_token })}`, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }),
      'pages',
    )
    const page = pages.data.find((p) => p.instagram_business_account)
    if (!page?.instagram_business_account) throw new OAuthError('oauth.no_instagram_account')
    return {
      displayName: `Instagram @${page.instagram_business_account.username ?? page.name}`,
      externalId: page.instagram_business_account.id,
      credentials: {
        accessToken: long.access_token,
        igUserId: page.instagram_business_account.id,
        ...(long.expires_in ? { expiresAt: new Date(Date.now() + long.expires_in * 1000).toISOString() } : {}),
      },
    }
  },
}

export const OAUTH_PROVIDERS: Record<OAuthPlatform, OAuthProvider> = { pinterest, instagram }
