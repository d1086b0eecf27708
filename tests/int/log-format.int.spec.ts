import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { timeLeft } from '../helpers/wait'

/**
 * `npm run dev` prints readable log lines (LOG_FORMAT=pretty); production, tests and LOG_FILE
 * keep one JSON object a line. Either way no secret gets out: the pretty line is made from the
 * scrubbed JSON line. Each case is a real process with its own environment, as the web app,
 * worker and bot are.
 */
const root = path.resolve(import.meta.dirname, '../..')
const SECRET = 'sk-or-v1-PrettyLogsMustNotShowThis0123'
const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-log-format-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Env = { NODE_ENV: 'development' | 'production' | 'test'; LOG_FORMAT?: string; LOG_FILE?: string; NO_COLOR?: string }

function logTwoLines(env: Env): string {
  const script = `
    import { logger } from './src/lib/logger.ts'
    logger().info({ apiKey: 'by-key-${SECRET}', articleId: 42 }, 'article generated with ${SECRET}')
    logger().error({ err: new Error('publish failed: ${SECRET}') }, 'publish failed')
  `
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AI_API_KEY: SECRET, ...env },
    encoding: 'utf8',
    // spawnSync holds the event loop, so vitest's own timeout cannot fire while it runs: the child
    // gets what the test has left (one tsx boot, slow on a busy machine), and a hung one still fails.
    timeout: timeLeft(),
  })
  expect(child.stderr).toBe('')
  expect(child.status).toBe(0)
  return child.stdout
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } })

describe('log format', () => {
  it('development with LOG_FORMAT=pretty: readable lines, secrets still removed', () => {
    const out = logTwoLines({ NODE_ENV: 'development', LOG_FORMAT: 'pretty', NO_COLOR: '1' })
    expect(out).not.toContain(SECRET)
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(postforge\): article generated with \[redacted\]$/m)
    expect(out).toMatch(/^ {4}articleId: 42$/m)
    expect(out).toMatch(/^ {4}apiKey: "\[redacted\]"$/m)
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR \(postforge\): publish failed$/m)
    // The stack is printed as lines to read, not a JSON string with \n in it.
    expect(out).toMatch(/^ +Error: publish failed: \[redacted\]$/m)
    expect(out).toMatch(/^ +at file:/m)
    expect(() => JSON.parse(out.split('\n')[0])).toThrow()
  })

  it.each([
    ['production', { NODE_ENV: 'production', LOG_FORMAT: 'pretty' }],
    ['tests', { NODE_ENV: 'test', LOG_FORMAT: 'pretty' }],
    ['no LOG_FORMAT', { NODE_ENV: 'development' }],
  ] as const)('%s: one JSON object a line, secrets removed', (_name, env) => {
    const out = logTwoLines(env)
    expect(out).not.toContain(SECRET)
    const [info, error] = jsonLines(out)
    expect(info).toMatchObject({ level: 30, msg: 'article generated with [redacted]', apiKey: '[redacted]', articleId: 42 })
    expect(error).toMatchObject({ level: 50, msg: 'publish failed', err: { message: 'publish failed: [redacted]' } })
  })

  it('LOG_FILE: JSON lines appended to the file even with LOG_FORMAT=pretty, nothing on stdout', () => {
    const file = path.join(dir, 'app.log')
    const out = logTwoLines({ NODE_ENV: 'development', LOG_FORMAT: 'pretty', LOG_FILE: file })
    expect(out).toBe('')
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(SECRET)
    expect(jsonLines(text).map((line) => line.msg)).toEqual(['article generated with [redacted]', 'publish failed'])
  })
})
