/** Money as staff read it: minor units (kopecks, cents) shown in the currency's major unit; XTR are whole stars. */
export const minorPerUnit = (currency: string) => (currency.toUpperCase() === 'XTR' ? 1 : 100)

export function formatMoney(minor: number, currency: string): string {
  const code = currency.toUpperCase()
  // Stars as a code, not an emoji: the admin's fonts need not have one.
  if (code === 'XTR') return `${minor} XTR`
  return new Intl.NumberFormat('en', { style: 'currency', currency: code }).format(minor / minorPerUnit(code))
}

/** "12.5" in RUB → 1250 kopecks; null when it is not a positive amount with at most the unit's decimals. */
export function parseMoney(text: string, currency: string): number | null {
  const unit = minorPerUnit(currency)
  const trimmed = text.trim().replace(',', '.')
  const pattern = unit === 1 ? /^\d+$/ : /^\d+(\.\d{1,2})?$/
  if (!pattern.test(trimmed)) return null
  const minor = Math.round(Number(trimmed) * unit)
  return minor > 0 ? minor : null
}

/** Payload's error body (`errors[0].message`, translated) or the status. */
export async function errorOf(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { errors?: { message?: string }[] } | null
  return body?.errors?.[0]?.message ?? `Request failed (${res.status})`
}
