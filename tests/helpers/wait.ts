import { TestRunner } from 'vitest'

import { HOOK_TIMEOUT_MS, WAIT_MARGIN_MS } from './timeouts'

/**
 * What the running test has left of its time (its own timeout, or the suite's testTimeout), less
 * WAIT_MARGIN_MS; in a beforeAll/afterAll, the suite's hookTimeout less the margin. A wait given no
 * limit of its own lasts as long as the test may run: on a busy machine it is the test's timeout
 * that bounds a wait, never a second, tighter number, and a wait in vain still fails by name.
 */
export function timeLeft(): number {
  const test = TestRunner.getCurrentTest()
  const started = test?.result?.startTime
  if (test?.timeout && started) return started + test.timeout - WAIT_MARGIN_MS - Date.now()
  return HOOK_TIMEOUT_MS - WAIT_MARGIN_MS
}

/**
 * Polls until `fn` gives something (not undefined, null or false), or fails after `ms` (by
 * default, as long as the test may still run, see timeLeft): how tests wait for what a worker, a
 * job or the bot does in its own time. The failure quotes the condition it waited for.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms: number = timeLeft(),
  step = 150,
): Promise<T> {
  const started = Date.now()
  const deadline = started + ms
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, step))
  }
  const what = fn.toString().replace(/\s+/g, ' ').slice(0, 300)
  throw new Error(`waitFor: timed out after ${Date.now() - started} ms waiting for ${what}`)
}
