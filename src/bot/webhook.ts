import { createHash, timingSafeEqual } from 'node:crypto'

import { webhookCallback, type Bot } from 'grammy'
import type { Update } from 'grammy/types'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { z } from 'zod'

import { AppError, errorResponse } from '../http/errors'
import { BODY_LIMITS, readLimitedBody } from '../http/body'
import { logger } from '../lib/logger'
import { metrics, recordWebhookSoon, reportError, secondsSince, SpanKind, trackOutcome, withSpan } from '../lib/telemetry'
import { isOutage } from '../lib/outage'
import type { BotContext } from './context'
import { unwrapBotError } from './delivery'

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

/**
 * While an update is being handled its id is held only briefly: if the process dies, or Redis
 * cannot be told to let go after an outage, Telegram's next delivery is not refused for a day.
 */
export const UPDATE_PROCESSING_SECONDS = 120

export type WebhookOptions = {
  secret: string | undefined
  redis: Redis
  keyPrefix: string
  /** Built on the first genuine call, so a forged request costs no Payload or bot start-up. */
  bot: () => Promise<Bot<BotContext>>
  log?: Logger
  timeoutMs?: number
}

/**
 * grammY's webhook adapter for an update this handler has already read and parsed: the
 * std/http adapter would need the body again in a fresh Request and parse it a second time.
 * The answer is std/http's: 200 (with a webhook reply's JSON when one was used), or 401.
 */
type Run = (update: Update, secretHeader: string | undefined) => Promise<Response>
const parsedUpdate = (update: Update, header: string | undefined) => {
  let resolve!: (response: Response) => void
  const handlerReturn = new Promise<Response>((r) => (resolve = r))
  return {
    update,
    header,
    end: () => resolve(new Response(null, { status: 200 })),
    respond: (json: string) => resolve(new Response(json, { status: 200, headers: { 'Content-Type': 'application/json' } })),
    unauthorized: () => resolve(new Response('"unauthorized"', { status: 401 })),
    handlerReturn,
  }
}

const unavailable = () =>
  Response.json({ ok: false, error: 'temporarily unavailable' }, { status: 503, headers: { 'Retry-After': '5' } })

/**
 * The Telegram webhook: refuses a wrong or missing secret token with 401 before anything else,
 * processes each update_id once (Telegram re-sends on timeouts and errors), and hands the update
 * to grammY's std/http adapter. Slow work is queued by the handlers, so the answer is fast.
 *
 * Nothing thrown leaves this handler (a thrown error would be printed with the bot's context,
 * token included). One rule decides the answer: the database or Redis being unavailable is a
 * 503 with the update id released, so Telegram delivers the update again once they are back;
 * any other failure is a fault of this update (a poison update), logged and acknowledged with a
 * 200, so Telegram does not re-send it forever.
 */
export function createWebhookHandler(
  options: WebhookOptions,
): (request: Request) => Promise<Response> {
  let callback: Promise<Run> | undefined
  const handle = () =>
    (callback ??= options
      .bot()
      .then((bot) =>
        // The timeout is ours (below): grammY's leaves a late failure as an unhandled rejection,
        // which Node prints with the context, token included.
        webhookCallback(bot, parsedUpdate, { secretToken: options.secret, timeoutMilliseconds: Infinity }) as Run,
      )
      .catch((error: unknown) => {
        // Start-up failed (database down, Bot API unreachable): try again on the next update.
        callback = undefined
        throw error
      }))

  // Observability (O6): each request is a span (the update's trace, continued by the jobs it
  // queues), timed into the webhook histogram and the shared per-minute rollup, and counted by
  // update type and outcome.
  return async (request) => {
    const started = performance.now()
    const seen: Seen = { type: 'none', outcome: 'refused' }
    const { value: response, failed } = await trackOutcome(() =>
      withSpan('telegram.webhook', {}, async (span) => {
        const answer = await handleRequest(request, seen)
        span.setAttributes({ 'telegram.update_type': seen.type, 'telegram.outcome': seen.outcome, 'http.response.status_code': answer.status })
        if (seen.updateId !== undefined) span.setAttribute('telegram.update_id', seen.updateId)
        return answer
      }, { kind: SpanKind.SERVER }),
    )
    if (failed && seen.outcome === 'ok') seen.outcome = 'error'
    const seconds = secondsSince(started)
    metrics().webhookDuration.observe({ outcome: seen.outcome }, seconds)
    if (seen.outcome !== 'refused') {
      metrics().updates.inc({ type: seen.type, outcome: seen.outcome })
      // Counted in this process and written to the shared rollup once a second (one Redis call
      // for all the updates of that second, not one per update).
      recordWebhookSoon(seconds * 1000, seen.outcome === 'error' || seen.outcome === 'unavailable')
    }
    return response
  }

  async function handleRequest(request: Request, seen: Seen): Promise<Response> {
    if (!options.secret)
      return Response.json({ ok: false, error: 'webhook not configured' }, { status: 503 })
    if (!secretMatches(request.headers.get(SECRET_HEADER), options.secret)) {
      return Response.json({ ok: false, error: 'unauthorized' }, { status: 401 })
    }
    let body: string
    try {
      body = new TextDecoder().decode(await readLimitedBody(request, BODY_LIMITS.webhook, 'en'))
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error)
      // The sender went away mid-body: nothing to handle.
      return Response.json({ ok: false, error: 'body could not be read' }, { status: 400 })
    }
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(body) as Record<string, unknown>
      // Checked, not copied: grammY gets the update as Telegram sent it.
      if (!UpdateEnvelope.safeParse(parsed).success) throw new Error('not an update')
    } catch {
      return Response.json({ ok: false, error: 'not a Telegram update' }, { status: 400 })
    }
    const update_id = parsed.update_id as number
    seen.updateId = update_id
    seen.type = updateTypeOf(parsed)
    // A child logger costs its bindings' serialization: made only when a line is written.
    let child: Logger | undefined
    const log = () => (child ??= (options.log ?? logger()).child({ update_id }))
    const key = `${options.keyPrefix}update:${update_id}`
    let first: string | null
    try {
      first = await options.redis.set(key, '1', 'EX', UPDATE_PROCESSING_SECONDS, 'NX')
    } catch (error) {
      log().warn({ err: error }, 'update not taken: Redis unavailable, Telegram will deliver it again')
      seen.outcome = 'unavailable'
      return unavailable()
    }
    if (first === null) {
      seen.outcome = 'duplicate'
      return Response.json({ ok: true, duplicate: true })
    }

    const release = () =>
      options.redis.del(key).catch(() => {
        // Redis is the one down: the id expires on its own in UPDATE_PROCESSING_SECONDS.
      })
    const remember = () =>
      options.redis.expire(key, UPDATE_DEDUPE_SECONDS).catch((error: unknown) => {
        log().warn({ err: error }, 'update id kept only briefly: Redis unavailable')
      })

    let run: Run
    try {
      run = await handle()
    } catch (error) {
      log().warn({ err: error }, 'bot could not start, Telegram will deliver the update again')
      seen.outcome = 'unavailable'
      await release()
      return unavailable()
    }
    const handling = run(parsed as unknown as Update, request.headers.get(SECRET_HEADER) ?? undefined)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), options.timeoutMs ?? 8_000)
    })
    try {
      const response = await Promise.race([handling, late])
      if (response === 'late') {
        // Telegram re-sends what it waits too long for, so the update is acknowledged while it
        // finishes (a reply waiting out a 429, say); how it ends is still logged.
        log().warn('update still running at the webhook timeout: acknowledged, finishing in the background')
        seen.outcome = 'late'
        handling.then(remember, async (thrown: unknown) => {
          const ref = reportError(unwrapBotError(thrown), { tags: { update_id } })
          log().error({ err: unwrapBotError(thrown), ref }, 'update failed after it was acknowledged')
          await remember()
        })
        return Response.json({ ok: true })
      }
      // Not awaited: the id is held (120 s) until the longer expiry lands a moment later, on the
      // same connection before any later command, and Telegram does not re-send an answered update.
      void remember()
      seen.outcome = 'ok'
      return response
    } catch (thrown) {
      const error = unwrapBotError(thrown)
      if (isOutage(error)) {
        log().warn({ err: error }, 'update not handled: database or Redis unavailable, Telegram will deliver it again')
        seen.outcome = 'unavailable'
        await release()
        return unavailable()
      }
      seen.outcome = 'error'
      const ref = reportError(error, { tags: { update_id } })
      log().error({ err: error, ref }, 'update failed and is acknowledged, so Telegram does not re-send it')
      await remember()
      return Response.json({ ok: true })
    } finally {
      clearTimeout(timer)
    }
  }
}

type Seen = { type: string; outcome: 'refused' | 'duplicate' | 'ok' | 'error' | 'unavailable' | 'late'; updateId?: number }

/** The kind of an update: the one field beside update_id (message, callback_query, ...). */
function updateTypeOf(update: Record<string, unknown>): string {
  return Object.keys(update).find((key) => key !== 'update_id') ?? 'unknown'
}
