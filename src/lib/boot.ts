import { ConfigError, env, type Env } from './env'

/**
 * For standalone entries (worker, bot, seed): validate the environment before anything else is
 * loaded, and on a bad setting stop with one line naming the variables, no stack, no values.
 * Call it before importing the Payload config (use a dynamic import after it).
 */
export function bootOrExit(): Env {
  try {
    return env()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`postforge: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}
