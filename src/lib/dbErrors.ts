/**
 * PostgreSQL's SQLSTATE of an error, wherever the driver's error sits: thrown by `pg` itself, or
 * wrapped by drizzle (`cause`) or Payload (`originalError`).
 */
export function sqlState(error: unknown): string | undefined {
  let current = error as { code?: unknown; cause?: unknown; originalError?: unknown } | undefined
  for (let depth = 0; current && depth < 6; depth++) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current.code
    current = (current.cause ?? current.originalError) as typeof current
  }
  return undefined
}

const UNIQUE_VIOLATION = '23505'

/**
 * A write refused by a unique index (SQLSTATE 23505): another writer got there first. Payload's
 * Postgres adapter turns 23505 from a create or update into a 400 ValidationError without the
 * code; the errors it lists then carry the `tableName` of the violated index, which no other
 * validation sets, so that is what is read there. Never decided from message text.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (sqlState(error) === UNIQUE_VIOLATION) return true
  const { status, data } = (error ?? {}) as { status?: unknown; data?: { errors?: unknown } }
  return (
    status === 400 &&
    Array.isArray(data?.errors) &&
    data.errors.some((entry) => typeof (entry as { tableName?: unknown })?.tableName === 'string')
  )
}
