import type { TextField } from 'payload'

import { t } from '../i18n'
import { isValidTimeZone } from '../lib/timezone'

export function timezoneField(overrides: Partial<TextField> = {}): TextField {
  return {
    name: 'timezone',
    type: 'text',
    required: true,
    defaultValue: 'Europe/Moscow',
    validate: (value: unknown, { req }: { req: { user?: { language?: string } | null } }) =>
      isValidTimeZone(value) || t(req.user?.language, 'timezone.invalid', { value: String(value ?? '') }),
    admin: { description: 'IANA time zone, e.g. Europe/Moscow' },
    ...overrides,
  } as TextField
}
