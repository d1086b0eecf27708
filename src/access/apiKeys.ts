import { createHmac } from 'node:crypto'

import type { AuthStrategy, AuthStrategyFunctionArgs, CollectionAfterChangeHook, CollectionAfterDeleteHook, TypedUser, Where } from 'payload'

import { touchLastSeenOnApiKey } from '../accounts/lastSeen'
import { AppError } from '../http/errors'
import { languageOf } from '../i18n/request'
import { logger } from '../lib/logger'
import { databaseScope, evalScript, redis } from '../lib/redis'

/**
 * Accounts' API keys, authenticated through a short-lived Redis cache.
 *
 * Payload's own api-key strategy runs a full `find` of the account on every request (its hooks,
 * field access and afterRead included): under load it cost as much as the list the customer asked
 * for. This strategy answers from Redis what that `find` answered, keyed by the key's HMAC index
 * (never the key itself), and falls back to the same `find` on a miss or when Redis cannot answer.
 *
 * A change to the account (its key revoked or replaced, blocked, deleted, anything) forgets its
 * entries at once, in every web process, from the collection's hooks. Those hooks run before the
 * write commits, so a request that read the old row just before could put it back: the forget also
 * sets a hold on the account for HOLD_SECONDS, and an entry is only ever written (atomically, in
 * Lua) when no hold exists. CACHE_SECONDS bounds what a write made outside Payload (raw SQL) can
 * leave behind. When the entries cannot be forgotten (Redis away) the change is refused, because a
 * revoked key that keeps working is worse than an edit that must be retried.
 */
export const API_KEY_CACHE_SECONDS = 60
export const API_KEY_HOLD_SECONDS = 120

const SLUG = 'accounts'
const PREFIX = `${SLUG} API-Key `

const keys = (scope = databaseScope()) => ({
  entry: (index: string) => `pf:apikey:${scope}:key:${index}`,
  entryPrefix: `pf:apikey:${scope}:key:`,
  ofAccount: (id: number | string) => `pf:apikey:${scope}:acct:${id}`,
  hold: (id: number | string) => `pf:apikey:${scope}:hold:${id}`,
})

/** Writes an entry unless the account is on hold (changed a moment ago, maybe not committed yet). */
const REMEMBER = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
`

/** Puts the account on hold and deletes every entry it has. */
const FORGET = `
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
local indexes = redis.call('SMEMBERS', KEYS[1])
for _, index in ipairs(indexes) do redis.call('DEL', ARGV[2] .. index) end
redis.call('DEL', KEYS[1])
return #indexes
`

/** A lookup that took longer than this is not cached: its row may predate a hold that expired. */
const FRESH_LOOKUP_MS = 10_000

const hmac = (algorithm: 'sha1' | 'sha256', secret: string, key: string) => createHmac(algorithm, secret).update(key).digest('hex')

type AccountUser = TypedUser & { id: number | string; collection?: string; _strategy?: string }

async function fromCache(entry: string): Promise<AccountUser | null | undefined> {
  try {
    const hit = await redis().get(entry)
    return hit ? (JSON.parse(hit) as AccountUser) : null
  } catch {
    // Redis away: the database answers instead.
    return undefined
  }
}

/** The account the key belongs to, read as Payload's api-key strategy reads it (same `where`, same `find`). */
async function lookUp({ payload, req, isGraphQL }: AuthStrategyFunctionArgs, key: string, sha256Index: string): Promise<AccountUser | null> {
  // Keys saved before Payload 3.46 are indexed with SHA-1.
  const byIndex: Where = { or: [{ apiKeyIndex: { equals: hmac('sha1', payload.secret, key) } }, { apiKeyIndex: { equals: sha256Index } }] }
  const collection = payload.collections[SLUG].config
  const saved = { locale: req?.locale, fallbackLocale: req?.fallbackLocale, depth: req?.query?.depth }
  try {
    const found = await payload.find({
      collection: SLUG,
      where: byIndex,
      depth: isGraphQL ? 0 : collection.auth.depth,
      limit: 1,
      pagination: false,
      overrideAccess: true,
      req,
    })
    return (found.docs[0] as AccountUser | undefined) ?? null
  } finally {
    if (req) {
      req.locale = saved.locale
      req.fallbackLocale = saved.fallbackLocale
      if (req.query) req.query.depth = saved.depth
    }
  }
}

async function authenticate(args: AuthStrategyFunctionArgs): Promise<{ user: AccountUser | null }> {
  const header = args.headers.get('authorization')
  if (!header?.startsWith(PREFIX)) return { user: null }
  const key = header.slice(PREFIX.length)
  const index = hmac('sha256', args.payload.secret, key)
  const k = keys()
  let user = await fromCache(k.entry(index))
  if (!user) {
    const startedAt = performance.now()
    const redisUp = user === null
    user = await lookUp(args, key, index)
    // Only SHA-256 indexes are cached: the forget finds entries by the account, the key by its index.
    if (user && redisUp && performance.now() - startedAt < FRESH_LOOKUP_MS) {
      await evalScript(redis(), REMEMBER, [k.entry(index), k.ofAccount(user.id), k.hold(user.id)], [JSON.stringify(user), API_KEY_CACHE_SECONDS, index]).catch(
        () => undefined,
      )
    }
  }
  if (!user) return { user: null }
  user.collection = SLUG
  user._strategy = 'api-key'
  // Observability (O6): the account's activity, at most once a minute (a Redis gate in front).
  if (args.req) await touchLastSeenOnApiKey({ doc: user, req: args.req as never })
  return { user }
}

/**
 * Goes first among the accounts' strategies. A key it does not know falls through to Payload's
 * own api-key strategy, which then finds nothing either.
 */
export const cachedApiKeyStrategy: AuthStrategy = { name: `${SLUG}-api-key-cached`, authenticate: authenticate as AuthStrategy['authenticate'] }

/**
 * Forgets the account's cached keys in every process. When it cannot, a change that decides
 * whether a key works (`refuse`: the key, its switch, the account's status, a delete) is refused
 * with a translated 503, because a revoked key that keeps working is worse than an edit to retry;
 * any other change goes through and its entries expire within API_KEY_CACHE_SECONDS.
 */
export async function forgetApiKeys(accountId: number | string, refuse = true, language?: string | null): Promise<void> {
  const k = keys()
  try {
    await evalScript(redis(), FORGET, [k.ofAccount(accountId), k.hold(accountId)], [API_KEY_HOLD_SECONDS, k.entryPrefix])
  } catch (error) {
    if (!refuse) {
      logger().warn({ err: error, account: accountId }, 'API-key cache not cleared (Redis unavailable); its entries expire on their own')
      return
    }
    logger().error({ err: error, account: accountId }, 'API-key cache not cleared: the account change is refused')
    throw new AppError('account.api_key_cache_unavailable', 503, language)
  }
}

/** What decides whether an account's API key lets a request in. */
const KEY_FIELDS = ['apiKey', 'enableAPIKey', 'apiKeyIndex', 'status'] as const

export const forgetApiKeysOnChange: CollectionAfterChangeHook = async ({ doc, previousDoc, operation, req }) => {
  // A new account has nothing cached yet.
  if (operation === 'create') return doc
  const decidesAccess = KEY_FIELDS.some((field) => JSON.stringify(doc?.[field] ?? null) !== JSON.stringify(previousDoc?.[field] ?? null))
  await forgetApiKeys(doc.id, decidesAccess, languageOf(req))
  return doc
}

export const forgetApiKeysOnDelete: CollectionAfterDeleteHook = async ({ id, req }) => {
  await forgetApiKeys(id, true, languageOf(req))
}
