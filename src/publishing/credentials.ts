import { z } from 'zod'

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
  }),
  instagram: z.object({
    accessToken: z.string().min(10),
    igUserId: z.string().regex(/^\d+$/),
    expiresAt: z.iso.datetime().optional(),
  }),
} satisfies Record<Platform, z.ZodType>

export type Credentials<P extends Platform> = z.infer<(typeof CredentialSchemas)[P]>

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
