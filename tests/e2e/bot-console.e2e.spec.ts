import { expect, test, type Page } from '@playwright/test'

import { EMOJI_BY_NAME } from '../helpers/captcha'
import { fakes, fixtures } from './fixtures'

const f = fixtures()

const botMessages = (page: Page) => page.locator('[data-testid="console-message"][data-from="bot"]')
const lastBot = (page: Page) => botMessages(page).last()

/**
 * The bot allows about one message a second per user (burst 5): type like a person, at least
 * 1.1 s after the last message. Counted from that message, so the wait for its answer (long on a
 * busy machine) is part of the spacing, not added to it.
 */
const lastSent = new WeakMap<Page, number>()
async function pace(page: Page) {
  const since = Date.now() - (lastSent.get(page) ?? 0)
  if (since < 1_100) await page.waitForTimeout(1_100 - since)
  lastSent.set(page, Date.now())
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

test('staff creates a project, orders an article through the bot console, approves it and the customer is told it is published', async ({ page, request }) => {
  test.setTimeout(300_000)
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

  // The worker writes it with the model (tests/e2e/fakes.ts answers each section in Markdown:
  // `## heading`, `**bold**`, `*italic*`, a list). Each section reads as formatted text.
  await expect(botMessages(page).filter({ hasText: 'Article ready' })).toHaveCount(1, { timeout: 120_000 })
  const sections = botMessages(page).filter({ hasText: 'the basics' })
  expect(await sections.count()).toBeGreaterThanOrEqual(3)
  const section = sections.first()
  await expect(section.locator('strong').filter({ hasText: /: the basics$/ })).toHaveCount(1)
  await expect(section.locator('strong').filter({ hasText: 'What to look for' })).toHaveCount(1)
  await expect(section.locator('strong').filter({ hasText: 'Buy small bags' })).toHaveCount(1)
  await expect(section.locator('em').filter({ hasText: 'boiling water' })).toHaveCount(1)
  const shown = await section.innerText()
  expect(shown).toContain('whole beans, not ground')
  for (const raw of ['##', '**', '<b>', '</b>', '&lt;', '&gt;']) expect(shown, `"${raw}" shown in a section`).not.toContain(raw)
  await section.screenshot({ path: '.data/test-results/bot-console-section.png' })

  // Under the default staff review the article waits in the queue: the editor approves it there.
  const asStaff = { headers: { Origin: new URL(page.url()).origin } }
  const project = (await (await page.request.get('/api/projects?where[name][equals]=Coffee%20Corner&sort=-createdAt&limit=1', asStaff)).json()).docs[0]
  const article = (await (await page.request.get(`/api/articles?where[project][equals]=${project.id}&limit=1&depth=0`, asStaff)).json()).docs[0]
  expect(article.workflowStatus).toBe('in_review')
  await page.goto('/admin')
  const row = page.locator('section.review-queue').getByTestId(`review-articles-${article.id}`)
  await row.getByRole('button', { name: `Approve ${article.title}` }).click()
  await expect(row).toHaveCount(0)

  // An admin connects the project's WordPress site (a fake one) and plans the article for now.
  const login = await request.post('/api/users/login', { data: f.admin })
  expect(login.ok()).toBe(true)
  const asAdmin = { headers: { Authorization: `JWT ${(await login.json()).token}` } }
  const wp = fakes().wordpress
  const blog = await request.post('/api/connections', {
    ...asAdmin,
    data: { displayName: 'Coffee Corner blog', platform: 'wordpress', project: project.id, credentials: { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password } },
  })
  expect(blog.status(), await blog.text()).toBe(201)
  const planned = await request.post('/api/publications', {
    ...asAdmin,
    data: { project: project.id, connection: (await blog.json()).doc.id, article: article.id, plannedAt: new Date().toISOString() },
  })
  expect(planned.status(), await planned.text()).toBe(201)
  const publicationId = (await planned.json()).doc.id
  const publication = async () => (await (await request.get(`/api/publications/${publicationId}?depth=0`, asAdmin)).json()) as { status: string; remoteUrl?: string }
  await expect.poll(async () => (await publication()).status, { timeout: 60_000 }).toBe('published')
  const live = (await publication()).remoteUrl!
  expect(live).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+/)

  // The customer hears about it in the chat, with the live address as a link and a button.
  await page.goto('/admin/bot-console')
  const notice = botMessages(page).filter({ hasText: 'Published:' })
  await expect(notice).toHaveCount(1, { timeout: 30_000 })
  await expect(notice).toContainText(`Published: “${article.title}” on “Coffee Corner blog”.`)
  await expect(notice.getByRole('link', { name: /Open the post/ })).toHaveAttribute('href', live)
  await expect(notice).toContainText(live)
  expect(await notice.innerText()).not.toMatch(/<\/?[a-z]+>|&lt;|&gt;/)
  await notice.scrollIntoViewIfNeeded()
  await page.screenshot({ path: '.data/test-results/bot-console-published.png' })
})
