import { env } from '../../lib/env'

/**
 * Where a web checkout (Stripe, YooKassa) sends the customer back: the caller's page, else
 * PAYMENT_RETURN_URL, else the bot's chat (BOT_USERNAME), else the site. Where they land decides
 * nothing: payments are credited from the provider's webhook only.
 */
export function paymentReturnUrl(explicit?: string): string {
  const { PAYMENT_RETURN_URL, BOT_USERNAME, SERVER_URL } = env()
  return explicit ?? PAYMENT_RETURN_URL ?? (BOT_USERNAME ? `https://t.me/${BOT_USERNAME}` : SERVER_URL)
}
