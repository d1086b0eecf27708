import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Whether the unit of work running now (a webhook update) ended in an unexpected error, told by
 * whoever handled the error deep inside (the bot's error boundary answers the customer with an
 * apology and does not rethrow), read by whoever measures the unit (the webhook's error rate).
 */
type Outcome = { failed: boolean }
const KEY = Symbol.for('postforge.telemetry.outcome')
const store = ((globalThis as Record<symbol, AsyncLocalStorage<Outcome> | undefined>)[KEY] ??= new AsyncLocalStorage<Outcome>())

export async function trackOutcome<T>(work: () => Promise<T>): Promise<{ value: T; failed: boolean }> {
  const outcome: Outcome = { failed: false }
  const value = await store.run(outcome, work)
  return { value, failed: outcome.failed }
}

/** Marks the unit of work running now as failed (no-op outside one). */
export function markFailed(): void {
  const outcome = store.getStore()
  if (outcome) outcome.failed = true
}
