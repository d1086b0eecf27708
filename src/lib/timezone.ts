/** IANA zone names only; 'UTC' included. */
export function isValidTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value })
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(value)
  } catch {
    return false
  }
}
