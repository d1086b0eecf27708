import type { Payload } from 'payload'
import { afterAll, beforeAll, beforeEach } from 'vitest'

import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import { fakeAiEnv, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegramBotApi'
import { testPayload } from './payload'

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
