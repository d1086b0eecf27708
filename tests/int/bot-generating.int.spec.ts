import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { Account, Article } from '../../src/payload-types'
import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'
import { lexical } from '../helpers/fixtures'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

/**
 * Issue 11, item 5, in the bot: while the AI writes or rewrites an article, its card offers no
 * review buttons and says why; a stale "📤 На проверку" button is refused in words.
 */
let h: Harness

beforeAll(async () => {
  h = await startHarness('generating')
})
afterAll(async () => {
  await h?.close()
})

async function ownerProject(account: Account) {
  return h.payload.create({
    collection: 'projects',
    data: { name: 'Кофейня', account: account.id, reviewPolicy: 'owner' } as never,
    overrideAccess: true,
  })
}

const statusOf = async (id: number) =>
  (await h.payload.findByID({ collection: 'articles', id, overrideAccess: true })).workflowStatus

describe('an article being generated in the bot', () => {
  it('after a change request the card offers no "📤 На проверку" while the rewrite waits or runs, and a stale button is refused', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await ownerProject(account)
    const keyword = await h.payload.create({
      collection: 'keywords',
      data: { phrase: 'кофе для турки', project: project.id } as never,
      overrideAccess: true,
    })
    const article = (await h.payload.create({
      collection: 'articles',
      context: SYSTEM_CONTEXT,
      data: {
        title: 'Кофе для турки',
        project: project.id,
        mainKeyword: keyword.id,
        body: lexical('Готовый текст.'),
        workflowStatus: 'in_review',
        generation: { state: 'done' },
      } as never,
    })) as Article

    await user.press(`c:rc:a:${article.id}`)
    await user.send('Добавьте раздел про помол')
    expect(await statusOf(article.id)).toBe('changes_requested')
    expect(user.lastText()).toContain('✍️ Статья сейчас пишется')
    const data = user.lastButtons().map((b) => b.callback_data)
    expect(data).toContain(`c:r:a:${article.id}`)
    expect(data.filter((d) => /^c:(mv|rc):/.test(d))).toEqual([])

    // The button from an older card: refused, the article stays sent back.
    await user.press(`c:mv:a:${article.id}:s`)
    expect(user.alerts().at(-1)).toContain('«Кофе для турки» ещё пишется')
    expect(await statusOf(article.id)).toBe('changes_requested')
  })

  it('a draft the AI is writing shows no review buttons until the text is ready, then the usual ones', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await ownerProject(account)
    const article = (await h.payload.create({
      collection: 'articles',
      context: SYSTEM_CONTEXT,
      data: {
        title: 'Coffee beans',
        project: project.id,
        body: lexical('Half of it.'),
        generation: { state: 'sections', sections: [{ index: 0, heading: 'One', markdown: 'Half of it.' }] },
      } as never,
    })) as Article
    const moves = () =>
      user
        .lastButtons()
        .map((b) => b.callback_data)
        .filter((d) => /^c:(mv|rc):/.test(d))

    await user.press(`c:o:a:${article.id}`)
    expect(user.lastText()).toContain('✍️ The article is being written right now')
    expect(moves()).toEqual([])
    await user.press(`c:mv:a:${article.id}:s`)
    expect(user.alerts().at(-1)).toContain('"Coffee beans" is still being generated')
    expect(await statusOf(article.id)).toBe('draft')

    await h.payload.update({
      collection: 'articles',
      id: article.id,
      context: SYSTEM_CONTEXT,
      data: { generation: { state: 'done' }, workflowStatus: 'in_review' } as never,
    })
    await user.press(`c:o:a:${article.id}`)
    expect(user.lastText()).not.toContain('being written')
    expect(moves()).toEqual([`c:mv:a:${article.id}:a`, `c:rc:a:${article.id}`])
  })
})
