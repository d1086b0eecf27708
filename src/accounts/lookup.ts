import type { Payload } from 'payload'

import type { Account } from '../payload-types'

/**
 * The customer account behind a Telegram user. Telegram vouches for the user id (the webhook's
 * secret token proves the update came from Telegram), so finding by that id is a system action;
 * everything the account then does goes through its own access rules.
 */
export async function findAccountByTelegramId(payload: Payload, telegramId: number): Promise<Account | null> {
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
