import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t } from '../../src/i18n'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import type { Account, Project, User } from '../../src/payload-types'
import { createStaff } from '../helpers/fixtures'
import { deliverNotices } from '../helpers/notices'
import { waitFor } from '../helpers/wait'
import { startHarness, TOKEN, verifiedUser, type Harness } from './bot-harness'

let h: Harness
let editor: User
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('review-notice')
  // Notices go through this file's own queue, so no other file's worker takes them.
  Object.assign(process.env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.url, GRAPHILE_WORKER_SCHEMA: 'pf_test_review_notice' })
  reloadEnv()
  resetTelegramClient()
  editor = (await createStaff(h.payload, ['editor'])).user
})

afterAll(async () => {
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await h?.close()
})

async function articleInReview(
  account: Account,
  reviewPolicy: Project['reviewPolicy'],
  title: string,
) {
  const project = await h.payload.create({
    collection: 'projects',
    data: { name: 'Review', account: account.id, reviewPolicy } as never,
    overrideAccess: true,
  })
  return h.payload.create({
    collection: 'articles',
    data: { title, project: project.id, workflowStatus: 'in_review' } as never,
    overrideAccess: true,
  })
}

async function review(id: number, data: Record<string, unknown>) {
  return h.payload.update({
    collection: 'articles',
    id,
    data,
    user: editor,
    overrideAccess: false,
  })
}

/**
 * The notice is an outbox job of the write: the worker's task delivers it (run here), then it
 * arrives. Waits as long as the test may; if it never comes, gives the chat's last message, so the
 * assertion shows what was said instead.
 */
async function messageTo(chatId: number, text: string) {
  return waitFor(async () => {
    await deliverNotices(h.payload)
    return h.fake.textsTo(chatId).includes(text) && text
  }).catch(() => h.fake.textsTo(chatId).at(-1) ?? '(nothing)')
}

describe('review notices to the owner', () => {
  it('tells a Russian-speaking owner in Russian when staff approve and when they ask for changes, with the note', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    expect(account.language).toBe('ru')
    const approved = await articleInReview(account, 'staff', 'Как выбрать кофемолку')
    await review(approved.id, { workflowStatus: 'approved' })
    const approvedText = t('ru', 'notify.review_approved', { title: 'Как выбрать кофемолку' })
    expect(await messageTo(user.id, approvedText)).toBe(approvedText)

    const changes = await articleInReview(account, 'staff', 'Обжарка дома')
    await review(changes.id, {
      workflowStatus: 'changes_requested',
      reviewNote: 'Добавьте раздел про цены',
    })
    const changesText = t('ru', 'notify.review_changes', {
      title: 'Обжарка дома',
      note: 'Добавьте раздел про цены',
    })
    expect(await messageTo(user.id, changesText)).toBe(changesText)
  })

  it('speaks English to an English-speaking owner', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const article = await articleInReview(account, 'staff', 'Grinder guide')
    await review(article.id, { workflowStatus: 'approved' })
    const text = t('en', 'notify.review_approved', { title: 'Grinder guide' })
    expect(await messageTo(user.id, text)).toBe(text)
  })

  it('says nothing where the owner reviews their own content, or for the owner submitting', async () => {
    const { user, account } = await verifiedUser(h)
    const own = await articleInReview(account, 'owner', 'Own review')
    await review(own.id, { workflowStatus: 'approved' })
    const draft = await h.payload.create({
      collection: 'articles',
      data: {
        title: 'Draft',
        project: (await articleInReview(account, 'staff', 'x')).project,
      } as never,
      overrideAccess: true,
    })
    await h.payload.update({
      collection: 'articles',
      id: draft.id,
      data: { workflowStatus: 'in_review' },
      user: { ...account, collection: 'accounts' },
      overrideAccess: false,
    })
    await deliverNotices(h.payload)
    expect(h.fake.textsTo(user.id).filter((text) => text.includes('editor'))).toEqual([])
  })

  it('a notice that cannot be delivered never fails the approval', async () => {
    const { user, account } = await verifiedUser(h)
    const article = await articleInReview(account, 'staff', 'Blocked owner')
    h.fake.fail('sendMessage', {
      status: 403,
      description: 'Forbidden: bot was blocked by the user',
    })
    const saved = await review(article.id, { workflowStatus: 'approved' })
    expect(saved.workflowStatus).toBe('approved')
    // The blocked chat refuses the send for good: the job stops (no retries), the approval stands.
    await deliverNotices(h.payload)
    expect(h.fake.callsTo('sendMessage', user.id).at(-1)?.params.text).toBe(
      t('en', 'notify.review_approved', { title: 'Blocked owner' }),
    )
    const stored = await h.payload.findByID({
      collection: 'articles',
      id: article.id,
      overrideAccess: true,
    })
    expect(stored.workflowStatus).toBe('approved')
  })
})
