import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { WORKER_SCHEMAS } from '../helpers/workerSchemas'

/**
 * A graphile-worker schema first migrated while other files' runners listen announces a breaking
 * migration and stops every one of them (their tests then time out far from the cause). Every
 * schema a test file names must be migrated up front, in the global set-up's list.
 */
describe('test worker schemas', () => {
  it('every graphile-worker schema a test names is migrated before any runner starts', () => {
    const dir = path.resolve(import.meta.dirname)
    const named = new Map<string, string>()
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(dir, file), 'utf8')
      for (const match of text.matchAll(/['"`]((?:pf_test|graphile_worker)_[a-z0-9_]+)['"`]/g)) named.set(match[1], file)
    }
    const missing = [...named].filter(([schema]) => !(WORKER_SCHEMAS as readonly string[]).includes(schema))
    expect(missing).toEqual([])
  })
})
