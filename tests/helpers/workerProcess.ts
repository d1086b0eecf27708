import { spawn, type ChildProcess } from 'node:child_process'

/**
 * The real worker (`src/jobs/worker.ts`) in a child process of its own, for tests that kill it,
 * started as production starts it (`node --import tsx`, one process). `PGAPPNAME` tags every
 * PostgreSQL connection it opens, so a test can terminate exactly its backends.
 */
export type WorkerProcess = {
  child: ChildProcess
  appName: string
  exited: Promise<number | null>
  /** kill -9 of the whole group, as a crash or an OOM kill would. */
  kill9: () => Promise<void>
  /** A graceful stop (docker stop, systemd), waiting for the exit. */
  term: () => Promise<number | null>
  /** The last lines it wrote (its log, at LOG_LEVEL), for a failure message. */
  output: () => string
}

let started = 0

export function startWorker(env: Record<string, string>): WorkerProcess {
  const appName = `pf-test-worker-${process.pid}-${++started}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/jobs/worker.ts'], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env, PGAPPNAME: appName },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name)
    } catch {
      // already gone
    }
  }
  return {
    child,
    appName,
    exited,
    kill9: async () => {
      signal('SIGKILL')
      await exited
    },
    term: async () => {
      signal('SIGTERM')
      return exited
    },
    output: () => tail,
  }
}

