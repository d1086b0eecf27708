/**
 * Money as a ledger reason or a staff text names it: the stored minor units (kopecks, cents)
 * shown in the currency's major unit with 2 decimals ("1.00 USD", "290.00 RUB"); Telegram Stars
 * have no minor unit ("100 XTR").
 */
export function formatMoney(minor: number, currency: string): string {
  const code = currency.toUpperCase()
  if (code === 'XTR') return `${minor} XTR`
  const sign = minor < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(minor))
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${code}`
}
