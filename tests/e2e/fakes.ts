import { readFileSync, writeFileSync } from 'node:fs'

import { fakeAiEnv, startFakeOpenAI } from '../fakes/openai'
import { startFakeTelegram } from '../fakes/telegramBotApi'
import { startFakeWordpress } from '../fakes/wordpress'

/**
 * The outside services the browser tests reach, for as long as the app runs: a model (the
 * worker writes the ordered article with it), a WordPress site (where an approved article is
 * published) and Telegram's Bot API (Stars refunds from the admin). Writes the worker's AI
 * settings, the Bot API's address and the site's address to E2E_FAKES, stops on SIGTERM.
 */
const ai = await startFakeOpenAI()
// Sections as models write them: Markdown headings, bold and a list (the console must format them).
ai.reply('article.section', (_body, prompt) => {
  const heading = /(?:Раздел|Section):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? 'Section'
  return [
    `## ${heading}: the basics`,
    `Freshly roasted beans keep their aroma for about a month. **Buy small bags** and grind right before brewing.`,
    `### What to look for`,
    `- the roast date on the bag\n- a one-way valve\n- whole beans, not ground`,
    `Water at 92–96 °C extracts the sweetness; *boiling water* burns it.`,
  ].join('\n\n')
})
const wp = await startFakeWordpress({ seo: null })
// Telegram's Bot API for Telegram Stars (A5 billing): it knows the charge of the seeded Stars
// payment (tests/e2e/seed.ts), so a refund from the admin reaches refundStarPayment.
const telegram = await startFakeTelegram()
const { billing } = JSON.parse(readFileSync(process.env.E2E_FIXTURES!, 'utf8')) as {
  billing: { starsCharge: { chargeId: string; telegramId: number; amount: number; payload: string } }
}
telegram.stars.charges.set(billing.starsCharge.chargeId, {
  id: billing.starsCharge.chargeId,
  userId: billing.starsCharge.telegramId,
  amount: billing.starsCharge.amount,
  payload: billing.starsCharge.payload,
  date: Math.floor(Date.now() / 1000),
})
const telegramEnv = { TELEGRAM_API_ROOT: telegram.url, TELEGRAM_BOT_TOKEN: '7000000001:E2Efake-token-for-the-fake-bot-api-only' }
writeFileSync(
  process.env.E2E_FAKES!,
  JSON.stringify({ env: { ...fakeAiEnv(ai), AI_TIMEOUT_MS: '30000', FETCH_ALLOW_PRIVATE: 'true', ...telegramEnv }, wordpress: { url: wp.url, username: wp.username, password: wp.password } }),
)
process.on('SIGTERM', () => {
  void Promise.all([ai.close(), wp.close(), telegram.close()]).then(() => process.exit(0))
})
