import { z } from 'zod'

import { isSealed, unseal } from '../lib/crypto'
import { PublishError } from './connector'
import type { Platform } from './platforms'

const httpsUrl = z
  .url()
  .refine((v) => /^https?:\/\//.test(v), 'must start with http:// or https://')

/** What each platform's connection needs to publish. Validated before it is encrypted. */
export const CredentialSchemas = {
  wordpress: z.object({
    siteUrl: httpsUrl,
    username: z.string().trim().min(1).max(100),
    applicationPassword: z.string().trim().min(8).max(200),
  }),
  telegram: z.object({
    chatId: z.union([z.number().int(), z.string().regex(/^@[A-Za-z0-9_]{4,64}$|^-?\d+$/)]),
  }),
  vk: z.object({
    groupId: z.number().int().positive(),
    accessToken: z.string().min(10).max(500),
  }),
  pinterest: z.object({
    accessToken: z.string().min(10),
    refreshToken: z.string().min(10).optional(),
    expiresAt: z.iso.datetime().optional(),
    boardId: z.string().min(1).max(100).optional(),
    /** The Pinterest user who signed in: a second sign-in as them updates this connection. */
    username: z.string().min(1).max(100).optional(),
  }),
  instagram: z.object({
    accessToken: z.string().min(10),
    igUserId: z.string().regex(/^\d+$/),
    expiresAt: z.iso.datetime().optional(),
  }),
} satisfies Record<Platform, z.ZodType>

/** Each platform's credentials, as its schema parses them. */
export type CredentialsByPlatform = { [P in Platform]: z.infer<(typeof CredentialSchemas)[P]> }
export type Credentials<P extends Platform> = CredentialsByPlatform[P]

/** The schemas keyed so that a platform known only as a type parameter still gets its own type. */
const schemaOf: { [P in Platform]: z.ZodType<CredentialsByPlatform[P]> } = CredentialSchemas

/** The schema of one platform's credentials, its output typed as that platform's credentials. */
export function credentialSchema<P extends Platform>(platform: P): z.ZodType<Credentials<P>> {
  return schemaOf[platform]
}

/**
 * Opens a connection's stored credentials for one call (only the publish job and the connection
 * test do): decrypted, then parsed with the platform's schema, so a connector only ever gets its
 * platform's fields. A blob that cannot be decrypted or no longer fits the schema (a key rotated
 * away, a shape from an older version) is a `reauth` failure naming the fields, never the values:
 * the connection is reported as needing reconnect instead of a connector failing halfway.
 */
export function openCredentials<P extends Platform>(platform: P, stored: unknown): Credentials<P> {
  let plain: unknown
  try {
    if (!isSealed(stored)) throw new Error('not a sealed envelope')
    plain = unseal(stored)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new PublishError('reauth', 'publish.credentials_unreadable', `stored ${platform} credentials cannot be opened (${why})`)
  }
  const parsed = credentialSchema(platform).safeParse(plain)
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(whole value)'))].join(', ')
    throw new PublishError('reauth', 'publish.credentials_invalid', `stored ${platform} credentials do not fit the platform's schema: ${fields}`)
  }
  return parsed.data
}

/** A short, non-secret reminder of which credentials are stored, shown to the customer and staff. */
export function credentialsHint(platform: Platform, value: Record<string, unknown>): string {
  const tail = (s: unknown) => (typeof s === 'string' && s.length > 4 ? `…${s.slice(-4)}` : '')
  switch (platform) {
    case 'wordpress':
      return `${value.username} @ ${value.siteUrl}`
    case 'telegram':
      return `chat ${value.chatId}`
    case 'vk':
      return `club${value.groupId} ${tail(value.accessToken)}`
    case 'pinterest':
      return `token ${tail(value.accessToken)}${value.boardId ? `, board ${value.boardId}` : ''}`
    case 'instagram':
      return `ig ${value.igUserId} ${tail(value.accessToken)}`
  }
}
