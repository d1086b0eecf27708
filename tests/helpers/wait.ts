/**
 * Polls until `fn` gives something (not undefined, null or false), or fails the test after `ms`:
 * how tests wait for what a worker, a job or the bot does in its own time.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 30_000,
  step = 150,
): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await fn()
    if (value) return value
    await new Promise((r) => setTimeout(r, step))
  }
  throw new Error(`timed out after ${ms} ms`)
}
