import { bootOrExit } from '../lib/boot'
import { ALLOWED_UPDATES, publishCommands } from './commands'
import { trimSlash } from '../lib/text'
import { createApi } from '../telegram/client'

/**
 * `npm run bot:webhook`: points Telegram at <SERVER_URL>/api/telegram with the secret token,
 * the updates the bot handles, and the command menu in Russian and English.
 * `npm run bot:webhook -- --delete` removes the webhook (for long polling).
 */
const settings = bootOrExit()
const missing = (['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'] as const).filter(
  (name) => !settings[name],
)
if (missing.length > 0) {
  process.stderr.write(
    `postforge: ${missing.join(', ')} required to set the webhook. See .env.example.\n`,
  )
  process.exit(1)
}
const api = createApi(settings.TELEGRAM_BOT_TOKEN!)

if (process.argv.includes('--delete')) {
  await api.deleteWebhook()
  process.stdout.write('webhook deleted\n')
} else {
  const url = `${trimSlash(settings.SERVER_URL)}/api/telegram`
  await api.setWebhook(url, {
    secret_token: settings.TELEGRAM_WEBHOOK_SECRET,
    allowed_updates: [...ALLOWED_UPDATES],
    max_connections: 40,
  })
  await publishCommands(api)
  const info = await api.getWebhookInfo()
  process.stdout.write(`webhook set: ${info.url} (pending updates: ${info.pending_update_count})\n`)
}
