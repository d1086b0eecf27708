/**
 * Whether an error means PostgreSQL or Redis is unavailable for the moment (down, restarting,
 * refusing, too slow), as opposed to a fault in the request itself. The webhook answers the first
 * with a 5xx so Telegram delivers the update again later, and the second with a 200 so a poison
 * update is not re-sent forever.
 */
export function isOutage(error: unknown): boolean {
  return causes(error).some(isOutageCause)
}

/** Network failures of a connection to a server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
])

/**
 * PostgreSQL states worth a retry: connection exceptions (08), the server shutting down or
 * starting (57P01-57P03), out of connections or resources (53), a cancelled statement (statement
 * timeout), serialization failures and deadlocks.
 */
const PG_TRANSIENT = /^(08...|57P0[1-3]|53...|57014|40001|40P01|55P03)$/

/** pg's and ioredis's messages for a connection lost, refused or timed out. */
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Command timed out|Stream isn't writeable|Reached the max retries per request|cannot connect to Postgres|^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/

function isOutageCause(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_TRANSIENT.test(code))) return true
  return error.name === 'MaxRetriesPerRequestError' || TRANSIENT_MESSAGE.test(error.message)
}

/**
 * The error and what it wraps (`cause`, grammY's BotError `error`, AggregateError `errors`), a
 * few levels deep. Failed calls to the Bot API (grammY's HttpError) are not followed: Telegram's
 * own network trouble is not our database or Redis.
 */
function causes(error: unknown, depth = 0): unknown[] {
  if (depth > 5 || error === null || typeof error !== 'object') return [error]
  if ((error as Error).name === 'HttpError' || (error as Error).name === 'GrammyError') return []
  const nested: unknown[] = []
  const { cause, error: inner, errors } = error as { cause?: unknown; error?: unknown; errors?: unknown }
  if (cause !== undefined) nested.push(cause)
  if (inner !== undefined && inner !== error) nested.push(inner)
  if (Array.isArray(errors)) nested.push(...errors)
  return [error, ...nested.flatMap((item) => causes(item, depth + 1))]
}
