import { AppError } from './errors'

/**
 * Checks shared by the REST and GraphQL guards: what PostgreSQL or Payload would otherwise turn
 * into a 500 is refused here with a 4xx that says what to change.
 */

/** PostgreSQL `serial` ids are int4. */
export const MAX_SERIAL_ID = 2_147_483_647

export function assertSerialId(id: string, language: string): number {
  if (!/^[1-9]\d{0,9}$/.test(id) || Number(id) > MAX_SERIAL_ID) {
    throw new AppError('request.invalid_id', 400, language, { id: id.slice(0, 40), max: MAX_SERIAL_ID })
  }
  return Number(id)
}

export function assertNoNul(text: string, language: string) {
  if (text.includes('\u0000')) throw new AppError('request.nul', 400, language)
}

/** Every string (keys too) of a parsed JSON value: PostgreSQL text cannot hold U+0000. */
export function assertJsonHasNoNul(value: unknown, language: string) {
  if (typeof value === 'string') return assertNoNul(value, language)
  if (Array.isArray(value)) return value.forEach((item) => assertJsonHasNoNul(item, language))
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      assertNoNul(key, language)
      assertJsonHasNoNul(item, language)
    }
  }
}

export function decodeStrict(text: string, language: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new AppError('request.bad_encoding', 400, language)
  }
}

/** A JSON body that must be an object: `null`, arrays, numbers and broken JSON are refused. */
export function parseJsonObject(text: string, language: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new AppError('request.bad_json', 400, language, { details: (error as Error).message.slice(0, 120) })
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('request.bad_json', 400, language, { details: value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value })
  }
  assertJsonHasNoNul(value, language)
  return value as Record<string, unknown>
}

const PAGING = { page: [1, 1_000_000], limit: [0, 1000] } as const

/** Pagination and depth as whole numbers in range (Payload passes `page=-1` to SQL as is). */
export function assertPaging(name: 'page' | 'limit' | 'depth', raw: string | number, language: string, maxDepth = 10) {
  const [min, max] = name === 'depth' ? [0, maxDepth] : PAGING[name]
  const text = String(raw)
  if (!/^\d{1,7}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new AppError('request.invalid_param', 400, language, { name, min, max })
  }
}
