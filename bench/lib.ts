import { spawn } from 'node:child_process'

import pg from 'pg'

export const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A throwaway database for one benchmark run; dropped by the returned function. */
export async function scratchDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`create database "${name}"`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL })
      await c.connect()
      await c.query(`drop database if exists "${name}" with (force)`)
      await c.end()
    },
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export function row(label: string, figures: Record<string, string | number>) {
  process.stdout.write(`${label.padEnd(34)} ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join('  ')}\n`)
}

/** Starts bench/fakeTelegram.ts in a process of its own (as Telegram is) and waits for its address. */
export async function fakeTelegramProcess(): Promise<{ url: string; close: () => void }> {
  const child = spawn('node_modules/.bin/tsx', ['bench/fakeTelegram.ts'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /READY (\S+)/.exec(chunk.toString())
      if (match) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`fake Bot API exited with ${code}`)))
  })
  return { url, close: () => child.kill('SIGTERM') }
}
