import { createHmac, timingSafeEqual } from 'node:crypto'

import { env } from '../lib/env'
import { trimSlash } from '../lib/text'

/**
 * Platforms that fetch images by URL (Instagram's Graph API) need a file they can reach without
 * our login. Media stays private; a publication gets a signed, expiring link to one file instead.
 */
export const PUBLIC_MEDIA_TTL_SECONDS = 24 * 60 * 60

function signature(id: number, filename: string, expires: number): string {
  return createHmac('sha256', env().PAYLOAD_SECRET)
    .update(`public-media:${id}:${filename}:${expires}`)
    .digest('base64url')
}

export function signedMediaUrl(
  id: number,
  filename: string,
  { now = Date.now(), ttlSeconds = PUBLIC_MEDIA_TTL_SECONDS } = {},
): string {
  const expires = Math.floor(now / 1000) + ttlSeconds
  const base = trimSlash(env().SERVER_URL)
  const query = new URLSearchParams({ expires: String(expires), sig: signature(id, filename, expires) })
  return `${base}/api/public-media/${id}/${encodeURIComponent(filename)}?${query}`
}

export type LinkCheck = 'ok' | 'expired' | 'forged'

export function checkSignedMedia(
  id: number,
  filename: string,
  expires: number,
  sig: string,
  now = Date.now(),
): LinkCheck {
  const expected = Buffer.from(signature(id, filename, expires))
  const given = Buffer.from(sig)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'forged'
  return expires * 1000 < now ? 'expired' : 'ok'
}
