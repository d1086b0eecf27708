import { z } from 'zod'

import { isValidTimeZone } from '../lib/timezone'

const optionalText = (max: number) => z.string().trim().max(max)

/**
 * What a customer may set on a project, with the collection's limits: the bot validates each
 * answer with the field's schema before it is stored, the service validates the whole input.
 */
export const ProjectFields = {
  name: z.string().trim().min(1).max(120),
  siteUrl: z
    .string()
    .trim()
    .max(500)
    .refine((value) => value === '' || isHttpUrl(value), { message: 'url' }),
  niche: optionalText(200),
  description: optionalText(4000),
  audience: optionalText(2000),
  toneOfVoice: optionalText(1000),
  timezone: z
    .string()
    .trim()
    .refine((value) => isValidTimeZone(value), { message: 'timezone' })
    // People type "europe/moscow"; store the zone's canonical spelling.
    .transform(
      (value) => new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone,
    ),
  language: z.enum(['ru', 'en']),
}

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

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.')
  } catch {
    return false
  }
}
