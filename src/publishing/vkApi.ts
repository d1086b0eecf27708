import { z } from 'zod'

import { env } from '../lib/env'
import { PublishError } from './connector'
import { httpCall, statusFailure, trimSlash, type HttpOptions } from './http'

export const VK_API_VERSION = '5.199'

const VkAnswer = z.union([
  z.object({ error: z.object({ error_code: z.number(), error_msg: z.string() }) }),
  z.object({ response: z.unknown() }),
])

/** Seconds VK asks nobody to wait; its rate errors carry no header, so a minute is a fair pause. */
const VK_RATE_PAUSE_MS = 60_000

/**
 * VK answers HTTP 200 with `{ error: { error_code, error_msg } }`: 5 is a dead token, 6/9/29 are
 * rate limits (per second, flood control, daily quota), 15/203/214 mean the token lost the
 * community or its wall, 100 and the rest are a bad request.
 */
export function vkFailure(code: number, message: string): PublishError {
  const detail = `${code} ${message}`
  if (code === 5) return new PublishError('reauth', 'vk.token_invalid', detail)
  if (code === 6) return new PublishError('retry', 'vk.rate_limited', detail, 2_000)
  if (code === 9 || code === 29) return new PublishError('retry', 'vk.rate_limited', detail, VK_RATE_PAUSE_MS)
  if (code === 10 || code === 1) return new PublishError('retry', 'vk.unavailable', detail)
  if ([15, 27, 203, 214].includes(code)) return new PublishError('disconnected', 'vk.no_access', detail)
  return new PublishError('bad_request', 'vk.rejected', detail)
}

/** Calls one VK API method as a form POST (tokens never go into URLs and their logs). */
export async function vkCall(
  method: string,
  params: Record<string, string | number | undefined>,
  accessToken: string,
  options: Pick<HttpOptions, 'mutation' | 'timeoutMs'> = {},
): Promise<unknown> {
  const body = new URLSearchParams({ access_token: accessToken, v: VK_API_VERSION })
  for (const [key, value] of Object.entries(params)) if (value !== undefined) body.set(key, String(value))
  const answer = await httpCall('vk', `${trimSlash(env().VK_API_BASE)}/method/${method}`, { ...options, method: 'POST', body })
  const failure = statusFailure('vk', answer, `${method}: HTTP ${answer.status}`, options.mutation)
  if (failure) throw failure
  const parsed = VkAnswer.safeParse(answer.json)
  if (!parsed.success) {
    if (options.mutation) throw new PublishError('unconfirmed', 'vk.unreadable', `${method}: HTTP ${answer.status}`)
    throw new PublishError('retry', 'vk.unreadable', `${method}: HTTP ${answer.status}`)
  }
  if ('error' in parsed.data) throw vkFailure(parsed.data.error.error_code, parsed.data.error.error_msg)
  return parsed.data.response
}
