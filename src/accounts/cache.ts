import type { Redis } from 'ioredis'
import type { CollectionAfterChangeHook, CollectionAfterDeleteHook, Payload } from 'payload'

import { logger } from '../lib/logger'
import { databaseScope, redis } from '../lib/redis'
import type { Account } from '../payload-types'
import { findAccountByTelegramId } from './lookup'

/**
 * Every bot update needs its account; reading it from PostgreSQL through the Local API costs more
 * than the rest of the update. It is kept in Redis for a short while and forgotten by the
 * collection's hooks on every change or delete, whichever face made it (admin, REST, bot, job).
 * The key carries a digest of the database URL, so two databases on one Redis never mix.
 */
const TTL_SECONDS = 60

function keyOf(telegramId: number): string {
  return `pf:account:${databaseScope()}:tg:${telegramId}`
}

export async function cachedAccountByTelegramId(
  payload: Payload,
  client: Redis,
  telegramId: number,
): Promise<Account | null> {
  const key = keyOf(telegramId)
  const hit = await client.get(key)
  if (hit) return JSON.parse(hit) as Account
  const account = await findAccountByTelegramId(payload, telegramId)
  // Unknown users are not cached: /start creates them a moment later.
  if (account) await client.set(key, JSON.stringify(account), 'EX', TTL_SECONDS)
  return account
}

async function forget(telegramId: unknown) {
  if (typeof telegramId !== 'number') return
  try {
    await redis().del(keyOf(telegramId))
  } catch (error) {
    logger().warn({ err: error, telegramId }, 'account cache not cleared; it expires within a minute')
  }
}

export const forgetCachedAccount: CollectionAfterChangeHook<Account> = async ({ doc }) => {
  await forget(doc.telegramId)
  return doc
}

export const forgetDeletedAccount: CollectionAfterDeleteHook<Account> = async ({ doc }) => {
  await forget(doc.telegramId)
}
