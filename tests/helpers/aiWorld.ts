import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach } from 'vitest'

import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { DEFAULT_ANSWERS, fakeAiEnv, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from './payload'
import { TEST_TIMEOUT_MS } from './timeouts'

export type AiWorld = { payload: Payload; ai: FakeOpenAI; bot: FakeTelegram }

/**
 * The outside world of an AI test file: a fake OpenAI-compatible model server and a fake Bot API
 * (progress reaches the customer's chat), with the environment pointing at them for the file's
 * duration and the model server's knobs reset before each test.
 */
export function useFakeAiWorld(): AiWorld {
  const world = {} as AiWorld
  const savedEnv = { ...process.env }
  beforeAll(async () => {
    world.ai = await startFakeOpenAI()
    world.bot = await startFakeTelegram()
    Object.assign(process.env, fakeAiEnv(world.ai), {
      // A model call may take as long as a test may run: on a busy machine a streamed section
      // (a timer per token) took longer than fakeAiEnv's 5 s, timed out and was asked of the
      // fallback model, and the test counted one call too many. A test about timeouts sets its own.
      AI_TIMEOUT_MS: String(TEST_TIMEOUT_MS),
      TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`,
      TELEGRAM_API_ROOT: world.bot.url,
    })
    reloadEnv()
    resetTelegramClient()
    world.payload = await testPayload()
  })
  afterAll(async () => {
    await world.ai?.close()
    await world.bot?.close()
    process.env = savedEnv
    reloadEnv()
    resetTelegramClient()
  })
  beforeEach(() => world.ai?.reset())
  return world
}

/**
 * For a test that stops or kills a worker mid-article: until the returned `release()`, the
 * sections of the article for `phrase` after its first `written` (in the default outline's order)
 * are answered at a length no test outlasts (30,000 words; 150 s at 200 tokens/s, and the model
 * timeout above is the test's own time), so the stop lands with exactly the first `written`
 * saved and the next ones in flight however slow the machine, instead of racing a window of a
 * second. Released, every section is answered as usual.
 */
export function holdSectionsAfter(ai: FakeOpenAI, phrase: string, written: number): () => void {
  const headings = (JSON.parse(DEFAULT_ANSWERS['article.outline']({}, '')) as { outline: { heading: string }[] }).outline.map((o) => o.heading)
  let holding = true
  ai.reply('article.section', (body, prompt) => {
    const heading = /(?:Раздел|Section):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? ''
    const held = holding && prompt.includes(phrase) && headings.indexOf(heading) >= written
    return held ? `${heading}: ${'кофе '.repeat(30_000)}` : DEFAULT_ANSWERS['article.section'](body, prompt)
  })
  return () => {
    holding = false
  }
}
