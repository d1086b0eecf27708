import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

import { env } from './env'

/**
 * Platform credentials at rest: AES-256-GCM with a key from the environment.
 *
 * The envelope names the key that sealed it (`k`: a fingerprint, not the key), so the key can be
 * rotated without downtime: set the new key as CREDENTIALS_ENCRYPTION_KEY and the old one as
 * CREDENTIALS_ENCRYPTION_PREVIOUS_KEY, restart, run `npm run credentials:rotate` (which re-seals
 * every stored envelope with the new key), then remove the previous key. Envelopes written before
 * fingerprints existed carry no `k` and are opened with whichever configured key fits.
 */
export type SealedSecret = { v: 1; k?: string; iv: string; tag: string; data: string }

/** A key's public fingerprint: the first 8 bytes of its SHA-256, in hex. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

/** The key new envelopes are sealed with. */
export function currentKey(): Buffer {
  return Buffer.from(env().CREDENTIALS_ENCRYPTION_KEY, 'base64')
}

/** Every key that may open an envelope: the current one first, then the one being retired. */
export function openingKeys(): Buffer[] {
  const previous = env().CREDENTIALS_ENCRYPTION_PREVIOUS_KEY
  return previous ? [currentKey(), Buffer.from(previous, 'base64')] : [currentKey()]
}

export function seal(value: unknown, encryptionKey: Buffer = currentKey()): SealedSecret {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return {
    v: 1,
    k: keyFingerprint(encryptionKey),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  }
}

export function isSealed(value: unknown): value is SealedSecret {
  if (!value || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return (
    v.v === 1 &&
    (v.k === undefined || typeof v.k === 'string') &&
    typeof v.iv === 'string' &&
    typeof v.tag === 'string' &&
    typeof v.data === 'string'
  )
}

function open(sealed: SealedSecret, key: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'))
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8')
}

/** Thrown when no configured key opens an envelope; says which key it needs, never a key. */
export class UnknownKeyError extends Error {
  constructor(fingerprint: string | undefined) {
    super(
      fingerprint
        ? `sealed with key ${fingerprint}, which is neither CREDENTIALS_ENCRYPTION_KEY nor CREDENTIALS_ENCRYPTION_PREVIOUS_KEY`
        : 'no configured credentials key opens it',
    )
    this.name = 'UnknownKeyError'
  }
}

/**
 * Opens an envelope with the key it names (or, for an envelope without a name, the first
 * configured key that authenticates it). A tampered envelope fails GCM's check like a wrong key.
 */
export function unseal<T = unknown>(sealed: SealedSecret, keys: Buffer | Buffer[] = openingKeys()): T {
  const candidates = Array.isArray(keys) ? keys : [keys]
  if (sealed.k !== undefined) {
    const key = candidates.find((candidate) => keyFingerprint(candidate) === sealed.k)
    if (!key) throw new UnknownKeyError(sealed.k)
    return JSON.parse(open(sealed, key)) as T
  }
  for (const key of candidates) {
    try {
      return JSON.parse(open(sealed, key)) as T
    } catch {
      // Not this key (GCM's tag check failed): try the next.
    }
  }
  throw new UnknownKeyError(undefined)
}

/** Whether an envelope is sealed with the current key (so rotation can leave it alone). */
export function sealedWithCurrentKey(sealed: SealedSecret): boolean {
  return sealed.k === keyFingerprint(currentKey())
}
