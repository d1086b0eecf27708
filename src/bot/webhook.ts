import { createHash, timingSafeEqual } from 'node:crypto'

import { webhookCallback, type Bot } from 'grammy'
import type { Redis } from 'ioredis'
import { z } from 'zod'

import type { BotContext } from './context'

const SECRET_HEADER = 'x-telegram-bot-api-secret-token'
const UpdateEnvelope = z.looseObject({ update_id: z.number().int().nonnegative() })

/** Telegram keeps an undelivered update for 24 hours: remember ids that long. */
export const UPDATE_DEDUPE_SECONDS = 24 * 60 * 60

/** Constant-time comparison of the header with the secret (hashing first hides the length). */
export function secretMatches(header: string | null, secret: string): boolean {
  if (header === null) return false
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(header), digest(secret))
}

export type WebhookOptions = {
  secret: string | undefined
  redis: Redis
  keyPrefix: string
  /** Built on the first genuine call, so a forged request costs no Payload or bot start-up. */
  bot: () => Promise<Bot<BotContext>>
  timeoutMs?: number
}

/**
 * The Telegram webhook: refuses a wrong or missing secret token with 401 before anything else,
 * processes each update_id once (Telegram re-sends on timeouts and errors), and hands the update
 * to grammY's std/http adapter. Slow work is queued by the handlers, so the answer is fast.
 */
export function createWebhookHandler(
  options: WebhookOptions,
): (request: Request) => Promise<Response> {
  let callback: Promise<(request: Request) => Promise<Response>> | undefined
  const handle = () =>
    (callback ??= options.bot().then((bot) =>
      webhookCallback(bot, 'std/http', {
        secretToken: options.secret,
        onTimeout: 'return',
        timeoutMilliseconds: options.timeoutMs ?? 8_000,
      }),
    ))

  return async (request) => {
    if (!options.secret)
      return Response.json({ ok: false, error: 'webhook not configured' }, { status: 503 })
    if (!secretMatches(request.headers.get(SECRET_HEADER), options.secret)) {
      return Response.json({ ok: false, error: 'unauthorized' }, { status: 401 })
    }
    const body = await request.text()
    let parsed: z.infer<typeof UpdateEnvelope>
    try {
      parsed = UpdateEnvelope.parse(JSON.parse(body))
    } catch {
      return Response.json({ ok: false, error: 'not a Telegram update' }, { status: 400 })
    }
    const key = `${options.keyPrefix}update:${parsed.update_id}`
    const first = await options.redis.set(key, '1', 'EX', UPDATE_DEDUPE_SECONDS, 'NX')
    if (first === null) return Response.json({ ok: true, duplicate: true })
    try {
      const forward = new Request(request.url, { method: 'POST', headers: request.headers, body })
      return await (
        await handle()
      )(forward)
    } catch (error) {
      // Not handled: let Telegram's retry through instead of swallowing the update.
      await options.redis.del(key)
      throw error
    }
  }
}
