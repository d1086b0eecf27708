import { z } from 'zod'

import { isPrivateHostname } from '../lib/safeNet'
import { resolveTimeZone } from '../scheduling/zones'

const optionalText = (max: number) => z.string().trim().max(max)

/**
 * What a customer may set on a project, with the collection's limits: the bot validates each
 * answer with the field's schema before it is stored, the service validates the whole input.
 */
export const ProjectFields = {
  name: z.string().trim().min(1).max(120),
  // "домашнийуют.рф" or "example.com/blog" typed without a scheme: https is assumed, the host
  // is stored in punycode (xn--...), which is what HTTP clients and WordPress expect.
  siteUrl: z
    .string()
    .trim()
    .max(500)
    .transform((value, issue) => {
      if (value === '') return ''
      const address = siteAddress(value)
      if (address === null) issue.addIssue({ code: 'custom', message: 'url' })
      return address ?? z.NEVER
    }),
  niche: optionalText(200),
  description: optionalText(4000),
  audience: optionalText(2000),
  toneOfVoice: optionalText(1000),
  // A city ("Новосибирск"), a UTC offset or an IANA name; stored as the IANA zone.
  timezone: z
    .string()
    .trim()
    .transform((value, issue) => {
      const zone = resolveTimeZone(value)
      if (zone === null) issue.addIssue({ code: 'custom', message: 'timezone' })
      return zone ?? z.NEVER
    }),
  language: z.enum(['ru', 'en']),
}

/** How many competitor pages a project keeps: the article brief reads them all. */
export const MAX_COMPETITORS = 5

/**
 * A competitor's page as people type it ("конкурент.рф/блог", "https://example.com/post"):
 * https assumed, the host in punycode; anything but http(s), and hosts inside a network
 * (localhost, private or loopback addresses), are refused.
 */
export const CompetitorUrl = z
  .string()
  .trim()
  .max(500)
  .transform((value, issue) => {
    const address = siteAddress(value)
    if (address === null) {
      issue.addIssue({ code: 'custom', message: 'url' })
      return z.NEVER
    }
    if (isPrivateHostname(new URL(address).hostname)) {
      issue.addIssue({ code: 'custom', message: 'not_public' })
      return z.NEVER
    }
    return address
  })

export type ProjectField = keyof typeof ProjectFields
export const PROJECT_FIELDS = Object.keys(ProjectFields) as ProjectField[]
export const OPTIONAL_PROJECT_FIELDS: ProjectField[] = [
  'siteUrl',
  'niche',
  'description',
  'audience',
  'toneOfVoice',
]

export const ProjectInput = z.object({
  name: ProjectFields.name,
  siteUrl: ProjectFields.siteUrl.optional(),
  niche: ProjectFields.niche.optional(),
  description: ProjectFields.description.optional(),
  audience: ProjectFields.audience.optional(),
  toneOfVoice: ProjectFields.toneOfVoice.optional(),
  timezone: ProjectFields.timezone.default('Europe/Moscow'),
  language: ProjectFields.language.optional(),
})
export type ProjectInput = z.input<typeof ProjectInput>

export const ProjectPatch = ProjectInput.partial()
export type ProjectPatch = z.input<typeof ProjectPatch>

/**
 * A site's address as people type it, normalised: scheme added when missing (https), host in
 * punycode, no trailing slash. Null for anything that is not an http(s) address with a dotted host.
 */
export function siteAddress(input: string): string | null {
  const value = input.trim()
  if (value === '' || /\s/.test(value)) return null
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`
  try {
    const url = new URL(withScheme)
    const host = url.hostname
    if (!['http:', 'https:'].includes(url.protocol) || !host.includes('.') || host.endsWith('.')) return null
    if (url.username || url.password) return null
    return url.href.replace(/\/+$/, '')
  } catch {
    return null
  }
}
