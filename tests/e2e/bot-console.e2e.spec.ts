import { expect, test, type Page } from '@playwright/test'

import { EMOJI_BY_NAME } from '../helpers/captcha'
import { fixtures } from './fixtures'

const f = fixtures()

const botMessages = (page: Page) => page.locator('[data-testid="console-message"][data-from="bot"]')
const lastBot = (page: Page) => botMessages(page).last()

/** The bot allows about one message a second per user (burst 5): type like a person. */
async function pace(page: Page) {
  await page.waitForTimeout(1_100)
}

/** Waits until the bot has handled what was sent (the console answers after the update ran). */
async function handled(page: Page, act: () => Promise<void>) {
  const answered = page.waitForResponse(
    (r) => r.url().includes('/api/bot-console') && r.request().method() === 'POST',
  )
  await act()
  const response = await answered
  expect(response.ok()).toBe(true)
  const { rev } = (await response.json()) as { rev: number }
  const shown = async () => Number(await page.getByRole('log', { name: 'Chat' }).getAttribute('data-rev'))
  await expect.poll(shown).toBeGreaterThanOrEqual(rev)
}

async function say(page: Page, text: string) {
  await pace(page)
  await page.getByLabel('Message').fill(text)
  await handled(page, () => page.getByRole('button', { name: 'Send', exact: true }).click())
  await expect(page.getByLabel('Message')).toHaveValue('')
}

async function tap(page: Page, name: string | RegExp) {
  await pace(page)
  await handled(page, () => lastBot(page).getByRole('button', { name }).first().click())
}

test('staff creates a project and orders an article through the bot console', async ({ page }) => {
  await page.goto('/admin/login')
  await page.getByLabel('Email').fill(f.editor.email)
  await page.getByLabel('Password').fill(f.editor.password)
  await page.getByRole('button', { name: /login|log in|войти/i }).click()
  await expect(page.getByRole('heading', { name: /Review queue/ })).toBeVisible()
  await page.goto('/admin/bot-console')
  await expect(page.getByRole('heading', { name: 'Bot console' })).toBeVisible()

  await page.getByLabel('Telegram language').selectOption('en')
  page.once('dialog', (dialog) => void dialog.accept())
  await page.getByRole('button', { name: 'New test customer' }).click()
  await expect(page.getByText('Send /start to begin.')).toBeVisible()

  await say(page, '/start')
  await expect(lastBot(page)).toContainText('tap the')
  const target = (await lastBot(page).locator('strong').last().innerText()).trim()
  expect(EMOJI_BY_NAME[target], `a picture for "${target}"`).toBeDefined()
  await tap(page, EMOJI_BY_NAME[target])
  await expect(botMessages(page).filter({ hasText: 'Main menu' }).last()).toBeVisible()

  await tap(page, 'New project')
  const answers: Array<[RegExp, () => Promise<void>]> = [
    [/called/, () => say(page, 'Coffee Corner')],
    [/site address/, () => say(page, 'https://coffee-corner.example')],
    [/niche/, () => say(page, 'specialty coffee shop in Kazan')],
    [/Describe the project/, () => say(page, 'A small roastery with a cafe')],
    [/audience/, () => say(page, 'Home baristas and office coffee lovers')],
    [/tone/, () => tap(page, 'Friendly')],
    [/time zone/, () => tap(page, /^Moscow \(UTC\+3\)$/)],
    [/language should content/, () => tap(page, 'English')],
  ]
  for (let step = 0; step < 12; step++) {
    const text = await lastBot(page).innerText()
    if (/Project created/.test(text)) break
    const answer = answers.find(([question]) => question.test(text))
    expect(answer, `unexpected question: ${text}`).toBeDefined()
    await answer![1]()
  }
  await expect(botMessages(page).filter({ hasText: 'Project created' })).toHaveCount(1)
  await expect(lastBot(page)).toContainText('Coffee Corner')

  await tap(page, 'Keywords')
  await expect(lastBot(page)).toContainText('No keywords yet')
  await tap(page, 'Import')
  await expect(lastBot(page)).toContainText('one per line')
  await say(page, 'how to brew pour over coffee\nbest coffee beans for espresso\ncezve grind size')
  await expect(botMessages(page).filter({ hasText: 'New phrases added: 3.' })).toHaveCount(1)

  await tap(page, 'Keywords')
  await tap(page, 'how to brew pour over coffee')
  await expect(lastBot(page)).toContainText('how to brew pour over coffee')
  await tap(page, 'Article')
  await expect(lastBot(page)).toContainText('How long should the article')
  await tap(page, /Medium/)
  await expect(botMessages(page).filter({ hasText: 'Writing the article' })).toHaveCount(1)
  await page.screenshot({ path: '.data/test-results/bot-console.png', fullPage: true })

  // The request reached the worker's queue: staff see it waiting in the jobs view.
  await page.goto('/admin/jobs?state=queued')
  await expect(page.locator('table')).toContainText('article.generate')
})
