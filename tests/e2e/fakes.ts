import { writeFileSync } from 'node:fs'

import { fakeAiEnv, startFakeOpenAI } from '../fakes/openai'
import { startFakeWordpress } from '../fakes/wordpress'

/**
 * The outside services the browser tests reach, for as long as the app runs: a model (the
 * worker writes the ordered article with it) and a WordPress site (where an approved article is
 * published). Writes the worker's AI settings and the site's address to E2E_FAKES, stops on SIGTERM.
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
writeFileSync(
  process.env.E2E_FAKES!,
  JSON.stringify({ env: { ...fakeAiEnv(ai), AI_TIMEOUT_MS: '30000', FETCH_ALLOW_PRIVATE: 'true' }, wordpress: { url: wp.url, username: wp.username, password: wp.password } }),
)
process.on('SIGTERM', () => {
  void Promise.all([ai.close(), wp.close()]).then(() => process.exit(0))
})
