import type { Transformer } from 'grammy'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

import { env } from '../lib/env'
import { databaseScope, evalScript } from '../lib/redis'

/**
 * Telegram's own limits on what a bot sends: about 30 messages a second overall, about one a
 * second per chat, 20 a minute per group or channel. Every process that talks to Telegram (the
 * webhook, polling, the worker) goes through this transformer, which reserves a slot in Redis
 * (so the limits hold across processes), waits for it, and on a 429 waits `retry_after` and
 * tries again a bounded number of times.
 */
export type OutgoingLimits = {
  global: { perSecond: number; burst: number }
  perChat: { perSecond: number; burst: number }
  perGroup: { perSecond: number; burst: number }
  /** A 429 asking to wait longer than this is returned to the caller instead of waited out. */
  maxRetryAfterSeconds: number
  retries: number
  /** Never wait longer than this for a slot; past it the call goes out and Telegram decides. */
  maxWaitMs: number
}

export const TELEGRAM_LIMITS: OutgoingLimits = {
  global: { perSecond: 30, burst: 30 },
  perChat: { perSecond: 1, burst: 3 },
  perGroup: { perSecond: 20 / 60, burst: 3 },
  maxRetryAfterSeconds: 30,
  retries: 3,
  maxWaitMs: 60_000,
}

/** Telegram's limits, with the overall, per-chat and per-group (channel) rates from the environment. */
export function telegramLimits(): OutgoingLimits {
  const { TELEGRAM_SENDS_PER_SECOND, TELEGRAM_CHAT_SENDS_PER_SECOND, TELEGRAM_GROUP_SENDS_PER_MINUTE } = env()
  const groupPerSecond = TELEGRAM_GROUP_SENDS_PER_MINUTE / 60
  return {
    ...TELEGRAM_LIMITS,
    global: { perSecond: TELEGRAM_SENDS_PER_SECOND, burst: Math.max(1, Math.round(TELEGRAM_SENDS_PER_SECOND)) },
    perChat: { perSecond: TELEGRAM_CHAT_SENDS_PER_SECOND, burst: Math.max(3, Math.round(TELEGRAM_CHAT_SENDS_PER_SECOND)) },
    perGroup: { perSecond: groupPerSecond, burst: Math.max(3, Math.round(groupPerSecond)) },
  }
}

/**
 * Redis keys of one bot's send budget: per bot (Telegram counts per token) and per database, so
 * two installations or two test runs on one Redis never slow each other down.
 */
export function sendBudgetPrefix(token: string): string {
  return `pf:tg:${token.split(':')[0]}:${databaseScope()}:`
}

/** Methods that put a message in a chat (the ones Telegram rate-limits). Drafts and answers are not. */
const SENDS = /^(send(?!ChatAction|MessageDraft)|copyMessages?$|forwardMessages?$)/
const EDITS = /^editMessage/

/**
 * GCRA reservation over one or more budgets at once (the bot's, the chat's): one call both checks
 * and books the next slot in each, returning how long the caller must wait for the latest of them
 * (0 when it may go now). Booking even when waiting keeps callers in order.
 */
const RESERVE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local longest = 0
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local wait = tat - now - tolerance
  if wait > longest then longest = wait end
  local nextTat = tat + interval
  redis.call('SET', key, tostring(nextTat), 'PX', math.ceil(nextTat - now + 1000))
end
return longest
`

type Limit = { perSecond: number; burst: number }

async function reserve(redis: Redis, budgets: Array<[key: string, limit: Limit]>): Promise<number> {
  const args = budgets.flatMap(([, limit]) => {
    const interval = 1000 / limit.perSecond
    return [interval, interval * (limit.burst - 1)]
  })
  return Number(await evalScript(redis, RESERVE, budgets.map(([key]) => key), args))
}

type Abortable = { aborted: boolean; addEventListener(type: 'abort', listener: () => void): void }

const sleep = (ms: number, signal?: Abortable) =>
  new Promise<void>((resolve) => {
    if (ms <= 0) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

function isGroupOrChannel(chatId: unknown): boolean {
  return (typeof chatId === 'number' && chatId < 0) || (typeof chatId === 'string' && /^(@|-)/.test(chatId))
}

/** `redis` may be a function: then Redis is reached only when a call is paced (a send or an edit). */
export function outgoingLimits(
  redis: Redis | (() => Redis),
  { keyPrefix = 'pf:tg:', limits = telegramLimits(), log }: { keyPrefix?: string; limits?: OutgoingLimits; log?: Logger } = {},
): Transformer {
  return async (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id
    if (SENDS.test(method) || EDITS.test(method)) {
      const budgets: Array<[string, Limit]> = [[`${keyPrefix}global`, limits.global]]
      if (SENDS.test(method) && chatId !== undefined) {
        const group = isGroupOrChannel(chatId)
        budgets.push([`${keyPrefix}chat:${String(chatId)}`, group ? limits.perGroup : limits.perChat])
      }
      const wait = Math.min(await reserve(typeof redis === 'function' ? redis() : redis, budgets), limits.maxWaitMs)
      if (wait > 0) {
        log?.debug({ method, chatId, wait }, 'telegram send paced')
        await sleep(wait, signal)
      }
    }
    for (let attempt = 0; ; attempt++) {
      const result = await prev(method, payload, signal)
      const retryAfter = !result.ok && result.error_code === 429 ? result.parameters?.retry_after : undefined
      if (retryAfter === undefined || attempt >= limits.retries || retryAfter > limits.maxRetryAfterSeconds)
        return result
      log?.warn({ method, chatId, retryAfter, attempt }, 'telegram asked to slow down; waiting')
      await sleep(retryAfter * 1000, signal)
      if (signal?.aborted) return result
    }
  }
}
