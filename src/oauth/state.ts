import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

import { z } from 'zod'

import { redis } from '../lib/redis'

export const OAUTH_PLATFORMS = ['pinterest', 'instagram'] as const
export type OAuthPlatform = (typeof OAUTH_PLATFORMS)[number]

const TICKET_TTL_S = 15 * 60
const STATE_TTL_S = 10 * 60

const Binding = z.object({
  accountId: z.number().int().positive(),
  projectId: z.number().int().positive(),
  platform: z.enum(OAUTH_PLATFORMS),
  /** The connection a "Reconnect" button is for: the flow updates it instead of adding one. */
  connectionId: z.number().int().positive().optional(),
})
export type OAuthBinding = z.infer<typeof Binding>

const PendingState = Binding.extend({ verifier: z.string().min(43), browser: z.string().length(64) })

const digest = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * A one-time link the bot hands to a customer: it binds the browser flow that follows to that
 * account and project. Expires in 15 minutes and works once.
 */
export async function createTicket(binding: OAuthBinding): Promise<string> {
  const ticket = randomBytes(24).toString('base64url')
  await redis().set(`oauth:ticket:${ticket}`, JSON.stringify(Binding.parse(binding)), 'EX', TICKET_TTL_S)
  return ticket
}

export async function redeemTicket(ticket: string): Promise<OAuthBinding | null> {
  if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return null
  const raw = await redis().getdel(`oauth:ticket:${ticket}`)
  const parsed = raw ? Binding.safeParse(JSON.parse(raw)) : null
  return parsed?.success ? parsed.data : null
}

/**
 * PKCE (RFC 7636, S256) and the `state` that carries the binding through the provider. The state
 * is also bound to the browser that opened the bot's link: it gets a nonce in an httpOnly cookie
 * (only its digest is stored), so a consent link forwarded to someone else's browser is worthless.
 */
export async function beginAuthorization(binding: OAuthBinding): Promise<{ state: string; challenge: string; browserNonce: string }> {
  const state = randomBytes(24).toString('base64url')
  const verifier = randomBytes(48).toString('base64url')
  const browserNonce = randomBytes(24).toString('base64url')
  await redis().set(`oauth:state:${state}`, JSON.stringify({ ...binding, verifier, browser: digest(browserNonce) }), 'EX', STATE_TTL_S)
  return { state, challenge: createHash('sha256').update(verifier).digest('base64url'), browserNonce }
}

export type PendingAuthorization = z.infer<typeof PendingState>

/**
 * Takes the state (once), in one step in Redis, but only from the browser it was issued to: a
 * callback without that browser's cookie (a forwarded or replayed link) leaves it for the real
 * browser's callback. `sameBrowser` says whether the cookie's nonce is the one it was issued with.
 */
const TAKE_FROM_BROWSER = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'gone'} end
local ok, pending = pcall(cjson.decode, raw)
if ok and type(pending) == 'table' and pending.browser == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'same', raw}
end
return {'other', raw}
`

export async function completeAuthorization(
  state: string,
  browserNonce: string | undefined,
): Promise<{ pending: PendingAuthorization; sameBrowser: boolean } | null> {
  if (!/^[A-Za-z0-9_-]{32}$/.test(state)) return null
  const [found, raw] = (await redis().eval(TAKE_FROM_BROWSER, 1, `oauth:state:${state}`, digest(browserNonce ?? ''))) as [string, string | undefined]
  if (found === 'gone' || !raw) return null
  const parsed = PendingState.safeParse(JSON.parse(raw))
  if (!parsed.success) return null
  const given = Buffer.from(digest(browserNonce ?? ''))
  return { pending: parsed.data, sameBrowser: found === 'same' && timingSafeEqual(given, Buffer.from(parsed.data.browser)) }
}
