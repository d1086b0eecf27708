import type { Payload } from 'payload'

import type { Language } from '../i18n'
import type { Account } from '../payload-types'
import { actingAs } from '../projects/actingAs'

/**
 * The customer account behind a Telegram user. Telegram vouches for the user id (the webhook's
 * secret token proves the update came from Telegram), so finding and creating by that id is a
 * system action; everything the account then does goes through its own access rules.
 */
export async function findAccountByTelegramId(
  payload: Payload,
  telegramId: number,
): Promise<Account | null> {
  const { docs } = await payload.find({
    collection: 'accounts',
    where: { telegramId: { equals: telegramId } },
    limit: 1,
    depth: 0,
    // Every update looks the account up: skip the count query a paginated find would add.
    pagination: false,
    overrideAccess: true,
  })
  return docs[0] ?? null
}

export type TelegramProfile = {
  telegramId: number
  username?: string
  displayName?: string
  language: Language
}

/** Idempotent: a second /start (or two at once) returns the same account. */
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
        plan: 'free',
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
