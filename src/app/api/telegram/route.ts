import config from '@payload-config'
import { getPayload } from 'payload'

import { botKeyPrefix, createBot } from '../../../bot/bot'
import { createWebhookHandler } from '../../../bot/webhook'
import { env } from '../../../lib/env'
import { logger } from '../../../lib/logger'
import { timedRoute } from '../../../lib/telemetry/http'
import { redis } from '../../../lib/redis'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

let handler: ((request: Request) => Promise<Response>) | undefined

/** Built on the first request: nothing connects at import time (the build imports this file). */
function webhook() {
  if (handler) return handler
  const settings = env()
  const log = logger().child({ process: 'bot', via: 'webhook' })
  handler = createWebhookHandler({
    secret: settings.TELEGRAM_BOT_TOKEN ? settings.TELEGRAM_WEBHOOK_SECRET : undefined,
    redis: redis(),
    keyPrefix: botKeyPrefix(),
    log,
    bot: async () => {
      const bot = createBot({
        token: settings.TELEGRAM_BOT_TOKEN!,
        payload: await getPayload({ config }),
        redis: redis(),
        apiRoot: settings.TELEGRAM_API_ROOT,
        log,
      })
      await bot.init()
      return bot
    },
  })
  return handler
}

/** Timed by route like every API route (O6); the webhook's own figures come from the handler. */
export const POST = timedRoute('/api/telegram', (request: Request): Promise<Response> => webhook()(request))
