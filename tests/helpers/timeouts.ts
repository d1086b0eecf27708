/**
 * How long a test or a hook may run, in one place: vitest.config.mts sets the suite's timeouts from
 * these, and waitFor (./wait.ts) waits by default as long as the running test has left. Tests
 * resolve on events (a row appears, a job ends, a request arrives), so on an idle machine a test
 * takes what it takes and these limits only matter when something is wrong or the machine is busy:
 * CI's 2 cores shared with a build, another suite or a benchmark made 30 s too little.
 */
export const TEST_TIMEOUT_MS = 120_000
export const HOOK_TIMEOUT_MS = 180_000
/**
 * For a test that starts worker processes of its own (each one compiles and boots the app: CPU-bound,
 * the slowest thing on a busy machine) or runs a long pipeline several times over.
 */
export const LONG_TEST_TIMEOUT_MS = 2 * TEST_TIMEOUT_MS
/**
 * What waitFor leaves of the test's time: it gives up this long before vitest would, so a test
 * that waits in vain fails naming what it waited for, not with a bare "Test timed out".
 */
export const WAIT_MARGIN_MS = 5_000
