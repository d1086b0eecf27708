import { createConcurrentSink, createRunner, createSource, createUpdateFetcher } from '@grammyjs/runner'
import { getPayload } from 'payload'

import { bootOrExit } from '../lib/boot'
import { logger } from '../lib/logger'
import { closeRedis, redis } from '../lib/redis'
import { flushErrors, initErrorTracking, reportError, startTracing, stopTracing } from '../lib/telemetry'
import { createBot } from './bot'
import { ALLOWED_UPDATES, publishCommands } from './commands'
import { handleUntilDelivered } from './delivery'

/**
 * `npm run bot`: long polling for local runs (no public URL needed). The webhook is removed first,
 * because Telegram serves updates one way at a time; `npm run bot:webhook` sets it back.
 */
const settings = bootOrExit()
// Observability (O6): errors to Sentry and spans over OTLP when configured (the web app's
// webhook does the same through src/instrumentation.ts).
initErrorTracking('bot')
startTracing('postforge-bot')
const log = logger().child({ process: 'bot' })
if (!settings.TELEGRAM_BOT_TOKEN) {
  process.stderr.write('postforge: TELEGRAM_BOT_TOKEN is required for the bot. See .env.example.\n')
  process.exit(1)
}
const { default: config } = await import('@payload-config')
const payload = await getPayload({ config })
const bot = createBot({
  token: settings.TELEGRAM_BOT_TOKEN,
  payload,
  redis: redis(),
  apiRoot: settings.TELEGRAM_API_ROOT,
  log,
})
await bot.init()
await bot.api.deleteWebhook()
await publishCommands(bot.api)
// grammY's runner, with one change: an update met by a database or Redis outage is handled again
// once they are back instead of being dropped (polling has no 5xx to make Telegram re-send it).
const fetchUpdates = createUpdateFetcher(bot, { fetch: { allowed_updates: [...ALLOWED_UPDATES] } })
const runner = createRunner(
  createSource({ supply: fetchUpdates }),
  createConcurrentSink({ consume: (update) => handleUntilDelivered(bot, update) }, async (error) => {
    // Observability (O6): reported once (the bot's error boundary reports what it handles).
    const ref = reportError(error)
    log.error({ err: error, ref }, 'update failed')
  }),
)
runner.start()
log.info({ username: bot.botInfo.username }, 'bot polling')

async function stop(signal: string) {
  log.info({ signal }, 'bot stopping')
  if (runner.isRunning()) await runner.stop()
  await closeRedis()
  await payload.destroy()
  await Promise.allSettled([flushErrors(), stopTracing()])
  process.exit(0)
}
process.once('SIGINT', () => void stop('SIGINT'))
process.once('SIGTERM', () => void stop('SIGTERM'))
await runner.task()
