import type { Payload } from 'payload'

import { findAccountByTelegramId } from '../accounts/lookup'
import type { Language } from '../i18n'
import type { Account } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { defaultPlan } from '../usage/limits'

export type TelegramProfile = {
  telegramId: number
  username?: string
  displayName?: string
  language: Language
}

/**
 * The account of a Telegram user who starts the bot, created on first contact (finding and
 * creating by the Telegram id is a system action). Idempotent: a second /start (or two at once)
 * returns the same account.
 */
export async function ensureTelegramAccount(
  payload: Payload,
  profile: TelegramProfile,
): Promise<{ account: Account; created: boolean }> {
  const existing = await findAccountByTelegramId(payload, profile.telegramId)
  if (existing) return { account: existing, created: false }
  try {
    const account = await payload.create({
      collection: 'accounts',
      data: {
        telegramId: profile.telegramId,
        username: profile.username,
        displayName: profile.displayName?.slice(0, 120),
        language: profile.language,
        timezone: 'Europe/Moscow',
        // The configured default plan (staff's mark in the admin, or BILLING_DEFAULT_PLAN).
        plan: (await defaultPlan(payload)).code,
        status: 'active',
      },
      depth: 0,
      overrideAccess: true,
    })
    return { account, created: true }
  } catch (error) {
    const raced = await findAccountByTelegramId(payload, profile.telegramId)
    if (raced) return { account: raced, created: false }
    throw error
  }
}

/** Records that the account passed the bot's human check (a field only the system sets). */
export async function markVerifiedHuman(payload: Payload, account: Account): Promise<Account> {
  return payload.update({
    collection: 'accounts',
    id: account.id,
    data: { verifiedHumanAt: new Date().toISOString() },
    depth: 0,
    overrideAccess: true,
  })
}

export async function setAccountLanguage(
  payload: Payload,
  account: Account,
  language: Language,
): Promise<Account> {
  return payload.update({
    collection: 'accounts',
    id: account.id,
    data: { language },
    depth: 0,
    ...actingAs(account),
  })
}
