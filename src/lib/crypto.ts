import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

import { env } from './env'

/**
 * Platform credentials at rest: AES-256-GCM with a key from the environment.
 * The envelope carries a version so the key can be rotated later.
 */
export type SealedSecret = { v: 1; iv: string; tag: string; data: string }

function key(): Buffer {
  return Buffer.from(env().CREDENTIALS_ENCRYPTION_KEY, 'base64')
}

export function seal(value: unknown, encryptionKey: Buffer = key()): SealedSecret {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return {
    v: 1,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  }
}

export function isSealed(value: unknown): value is SealedSecret {
  if (!value || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return v.v === 1 && typeof v.iv === 'string' && typeof v.tag === 'string' && typeof v.data === 'string'
}

export function unseal<T = unknown>(sealed: SealedSecret, encryptionKey: Buffer = key()): T {
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(sealed.iv, 'base64'))
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
  const plain = Buffer.concat([
    decipher.update(Buffer.from(sealed.data, 'base64')),
    decipher.final(),
  ]).toString('utf8')
  return JSON.parse(plain) as T
}
