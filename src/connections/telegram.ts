import { GrammyError } from 'grammy'
import { z } from 'zod'

import { channelApi } from '../telegram/client'

/**
 * What a customer may type to name a channel: @name, a t.me link, or the numeric id (-100...).
 * Returns the form the Bot API takes, or null when it is none of them.
 */
export function channelRef(input: string): string | number | null {
  const value = input.trim()
  const link = value.match(/^(?:https?:\/\/)?(?:t\.me|telegram\.me)\/([A-Za-z0-9_]{4,64})\/?$/i)
  if (link) return `@${link[1]}`
  if (/^@[A-Za-z0-9_]{4,64}$/.test(value)) return value
  if (/^-100\d{5,15}$/.test(value)) return Number(value)
  return null
}

export const ChannelRef = z
  .string()
  .trim()
  .max(100)
  .refine((value) => channelRef(value) !== null, 'channel_ref')

/**
 * The channel's numeric id: it never changes, while a channel's @name can be given away, so a
 * connection is stored by id and `my_chat_member` updates (which carry the id) find it again.
 * Null when Telegram does not know the chat (verification then explains why).
 */
export async function resolveChannelId(ref: string | number): Promise<number | null> {
  if (typeof ref === 'number') return ref
  const api = channelApi()
  if (!api) return null
  try {
    return (await api.getChat(ref)).id
  } catch (error) {
    if (error instanceof GrammyError) return null
    throw error
  }
}

/** The non-secret hints a stored Telegram connection can carry for one chat (see credentialsHint). */
export function channelHints(chat: { id: number; username?: string }): string[] {
  return [`chat ${chat.id}`, ...(chat.username ? [`chat @${chat.username}`] : [])]
}
