import { TELEGRAM_TEXT_LIMITS } from '../telegram/limits'

export const PLATFORMS = ['wordpress', 'telegram', 'vk', 'pinterest', 'instagram'] as const
export type Platform = (typeof PLATFORMS)[number]

/**
 * Text limits per platform for a post (the caption limit where media goes with the text).
 * WordPress has no practical limit for a post body.
 */
export const PLATFORM_TEXT_LIMITS: Record<Platform, number | undefined> = {
  wordpress: undefined,
  telegram: TELEGRAM_TEXT_LIMITS.message,
  vk: 16384,
  pinterest: 500,
  instagram: 2200,
}
