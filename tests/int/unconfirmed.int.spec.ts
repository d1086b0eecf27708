import { sql } from '@payloadcms/db-postgres'
import { Logger, run, type Runner } from 'graphile-worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { t, tr } from '../../src/i18n'
import { JOBS, publishJobKey } from '../../src/jobs/contracts'
import { buildTaskList } from '../../src/jobs/taskList'
import { reloadEnv } from '../../src/lib/env'
import { resetTelegramClient } from '../../src/telegram/client'
import type { Account, User } from '../../src/payload-types'
import { resolveUnconfirmed } from '../../src/publishing/lookup'
import { claimPublication } from '../../src/publishing/publications'
import { publishOne } from '../../src/publishing/publish'
import { publishAgainAs } from '../../src/publishing/unconfirmed'
import { startFakeWordpress } from '../fakes/wordpress'
import { createStaff, lexical } from '../helpers/fixtures'
import { startHarness, TOKEN, verifiedUser, type Harness, type TestUser } from './bot-harness'
import { waitFor } from '../helpers/wait'

// Migrated by the global set-up (see tests/helpers/workerSchemas.ts).
const SCHEMA = 'pf_test_unconfirmed'
let h: Harness
let wp: Awaited<ReturnType<typeof startFakeWordpress>>
let runner: Runner
let user: TestUser
let account: Account
let editor: User
let projectId: number
let blogId: number
const savedEnv = { ...process.env }

beforeAll(async () => {
  h = await startHarness('unconfirmed')
  wp = await startFakeWordpress()
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: h.fake.url,
    PUBLISH_HTTP_TIMEOUT_MS: '800',
    FETCH_ALLOW_PRIVATE: 'true',
    GRAPHILE_WORKER_SCHEMA: SCHEMA,
  })
  reloadEnv()
  resetTelegramClient()
  ;({ user, account } = await verifiedUser(h))
  editor = (await createStaff(h.payload, ['editor'])).user
  const project = await h.payload.create({ collection: 'projects', data: { name: 'Blog', account: account.id } as never })
  projectId = project.id
  const blog = await h.payload.create({
    collection: 'connections',
    data: { displayName: 'Coffee blog', platform: 'wordpress', project: projectId, credentials: { siteUrl: wp.url, username: wp.username, applicationPassword: wp.password } } as never,
  })
  blogId = blog.id
  runner = await run({
    connectionString: process.env.DATABASE_URL,
    schema: SCHEMA,
    concurrency: 2,
    taskList: buildTaskList(async () => h.payload),
    noHandleSignals: true,
    preset: { worker: { pollInterval: 100 } },
    logger: new Logger(() => () => {}),
  })
})

afterAll(async () => {
  await runner?.stop()
  await wp?.close()
  process.env = savedEnv
  reloadEnv()
  resetTelegramClient()
  await h?.close()
})

/**
 * An approved article and its publication, planned for tomorrow: its publish job waits, so a test
 * drives the publication itself (publishOne) without this file's runner taking it first.
 */
async function approvedArticle(title: string) {
  const article = await h.payload.create({
    collection: 'articles',
    data: { title, project: projectId, workflowStatus: 'in_review', body: lexical(`Текст ${title}.`) } as never,
  })
  await h.payload.update({ collection: 'articles', id: article.id, data: { workflowStatus: 'approved' }, user: editor, overrideAccess: false })
  const publication = await h.payload.create({
    collection: 'publications',
    data: { project: projectId, connection: blogId, article: article.id, plannedAt: new Date(Date.now() + 86_400_000).toISOString() } as never,
  })
  return { article, publication }
}

/** A publication whose call never reached the site: unconfirmed, and the customer told. */
async function unconfirmed(title: string, knob: 'drop' | 'after' = 'drop') {
  const made = await approvedArticle(title)
  wp.fail('POST /posts', { hang: knob })
  expect(await publishOne(h.payload, made.publication.id)).toMatchObject({ result: 'unconfirmed' })
  // Its instant has passed by the time the customer decides (sending it again means now).
  await h.payload.db.drizzle.execute(sql`update publications set planned_at = now() - interval '1 minute' where id = ${made.publication.id}`)
  return made
}

const publication = (id: number) => h.payload.findByID({ collection: 'publications', id, overrideAccess: true })
const article = (id: number) => h.payload.findByID({ collection: 'articles', id, overrideAccess: true })
const postsTitled = (title: string) => wp.state.posts.filter((p) => p.title === title)

/** The last message sent to the customer that mentions every one of `texts`, with its buttons. */
function noticeWith(...texts: string[]) {
  const call = h.fake.callsTo('sendMessage', user.id).filter((c) => texts.every((text) => String(c.params.text).includes(text))).at(-1)
  return call && { text: String(call.params.text), buttons: (call.params.reply_markup?.inline_keyboard ?? []).flat() as Array<{ text: string; callback_data?: string; url?: string }> }
}

describe('unconfirmed publications: the customer and staff settle them', () => {
  it('the notice carries "It is published", "Publish again" and "Open"; "It is published" settles it as the customer\'s decision', async () => {
    const { article: a, publication: pub } = await unconfirmed('Эспрессо дома · u-1')
    // The notice is queued with the outcome; this file's runner sends it.
    const notice = await waitFor(() => noticeWith('❓', 'u-1'))
    expect(notice.text).toContain(t('en', 'publish.unconfirmed'))
    expect(notice.buttons).toEqual([
      { text: t('en', 'fix.is_published'), callback_data: `u:y:${pub.id}` },
      { text: t('en', 'fix.publish_again'), callback_data: `u:a:${pub.id}` },
      { text: t('en', 'fix.open'), callback_data: `c:o:a:${a.id}` },
    ])

    await user.press(`u:y:${pub.id}`)
    const fresh = await publication(pub.id)
    expect(fresh.status).toBe('published')
    expect(fresh.lastError).toBeNull()
    expect(fresh.history?.at(-1)).toMatchObject({ status: 'published', message: expect.stringContaining(`customer (account ${account.id})`) })
    expect((await article(a.id)).workflowStatus).toBe('published')
    expect(user.lastText()).toContain('is published')
    // An old notice pressed again says how it ended instead of changing anything.
    await user.press(`u:a:${pub.id}`)
    expect(user.alerts().at(-1)).toContain('already been settled (published)')
    expect((await publication(pub.id)).status).toBe('published')
  })

  it('another customer pressing the buttons with this publication\'s id changes nothing and learns nothing', async () => {
    const { publication: pub } = await unconfirmed('Раф · u-8')
    const before = await publication(pub.id)
    const { user: stranger } = await verifiedUser(h)
    for (const route of ['u:y', 'u:a', 'u:ay', 'u:u']) {
      const seen = stranger.texts().length
      await stranger.press(`${route}:${pub.id}`)
      const shown = [...stranger.texts().slice(seen), stranger.alerts().at(-1) ?? '']
      expect(shown.join(' '), route).toContain(tr('en', 'err.not_found'))
      expect(shown.join(' '), route).not.toContain('u-8')
    }
    const after = await publication(pub.id)
    expect(after.status).toBe('unconfirmed')
    expect(after.history).toEqual(before.history)
    expect(wp.state.posts.filter((p) => p.title.includes('u-8'))).toHaveLength(0)
  })

  it('back from the "Publish again" question, the notice shows the title as the customer wrote it, escaped once', async () => {
    const { publication: pub } = await unconfirmed('Кофе & чай · u-9')
    await user.press(`u:a:${pub.id}`)
    await user.press(`u:u:${pub.id}`)
    // Sent as HTML: '&' arrives as one '&amp;' (Telegram shows '&'), never '&amp;amp;'.
    expect(user.lastText()).toContain('Кофе &amp; чай · u-9')
    expect(user.lastText()).not.toContain('&amp;amp;')
  })

  it('"Publish again" first says a second copy may appear; confirmed, it goes back to the queue and out, recorded as the customer\'s decision', async () => {
    const { publication: pub } = await unconfirmed('Фильтр-кофе · u-2')
    await user.press(`u:a:${pub.id}`)
    expect(user.lastText()).toContain('a second copy')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual([`u:ay:${pub.id}`, `u:u:${pub.id}`])
    expect((await publication(pub.id)).status).toBe('unconfirmed')
    // "No" brings the notice back with its buttons.
    await user.press(`u:u:${pub.id}`)
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual([`u:y:${pub.id}`, `u:a:${pub.id}`, expect.stringMatching(/^c:o:a:/)])

    await user.press(`u:a:${pub.id}`)
    await user.press(`u:ay:${pub.id}`)
    expect(user.lastText()).toContain('queued again')
    const again = (await publication(pub.id)).history!.find((entry) => entry.status === 'queued' && entry.message?.includes('second copy'))
    expect(again?.message).toContain(`customer (account ${account.id})`)
    const published = await waitFor(async () => {
      const fresh = await publication(pub.id)
      return fresh.status === 'published' ? fresh : undefined
    })
    expect(published.remoteId).toBe(String(postsTitled('Фильтр-кофе · u-2')[0].id))
    expect(postsTitled('Фильтр-кофе · u-2')).toHaveLength(1)
  })

  it('the publications list shows unconfirmed ones first, each with a way to decide', async () => {
    const { publication: pub } = await unconfirmed('Какао · u-8')
    await user.press(`u:l:${projectId}:1`)
    expect(user.lastText()).toContain('Unconfirmed')
    expect(user.lastText()).toContain('Какао · u-8')
    const settle = user.lastButtons().find((b) => b.callback_data === `u:u:${pub.id}`)
    expect(settle).toBeDefined()
    await user.press(settle!.callback_data)
    expect(user.lastText()).toContain('Какао · u-8')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual([`u:y:${pub.id}`, `u:a:${pub.id}`, expect.stringMatching(/^c:o:a:/)])
  })

  it('a lookup that finds it later tells the customer, with the link', async () => {
    const { publication: pub } = await unconfirmed('Капучино · u-3', 'after')
    expect(await resolveUnconfirmed(h.payload, pub.id)).toBe('found')
    const fresh = await publication(pub.id)
    expect(fresh.status).toBe('published')
    const found = await waitFor(() => noticeWith('Found it'))
    expect(found.text).toContain('Капучино · u-3')
    expect(found.text).toContain(fresh.remoteUrl!)
    expect(found.buttons).toEqual([{ text: t('en', 'fix.open_post'), url: fresh.remoteUrl }])
  })

  it('a row the sweeper finds abandoned mid-call gets a reason staff can read and the customer\'s notice with its buttons', async () => {
    const { publication: pub } = await approvedArticle('Раф · u-4')
    expect(await claimPublication(h.payload, pub.id)).toBe(true)
    await h.payload.db.drizzle.execute(sql`update publications set updated_at = now() - interval '20 minutes' where id = ${pub.id}`)
    await runner.addJob('publications.sweep', {})
    const fresh = await waitFor(async () => {
      const row = await publication(pub.id)
      return row.status === 'unconfirmed' ? row : undefined
    })
    expect(fresh.lastError).toBeTruthy()
    const notice = await waitFor(() => noticeWith('❓', 'u-4'))
    expect(notice.text).toContain(t('en', 'publish.worker_died'))
    expect(notice.buttons.map((b) => b.callback_data)).toEqual([`u:y:${pub.id}`, `u:a:${pub.id}`, expect.stringMatching(/^c:o:a:/)])
  })

  /**
   * The database refuses to take this publication out of `publishing` (as when PostgreSQL drops
   * the worker's connections right after the platform call) until the returned function is called.
   */
  async function refuseSettling(id: number, statuses: string[]) {
    const name = `pf_test_refuse_settle_${id}`
    const list = statuses.map((s) => `'${s}'`).join(', ')
    await h.payload.db.drizzle.execute(
      sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin
        if new.id = ${id} and old.status = 'publishing' and new.status in (${list}) then raise exception 'connection lost (test)'; end if;
        return new; end $$`),
    )
    await h.payload.db.drizzle.execute(sql.raw(`create trigger ${name} before update on publications for each row execute function ${name}()`))
    return async () => {
      await h.payload.db.drizzle.execute(sql.raw(`drop trigger if exists ${name} on publications`))
      await h.payload.db.drizzle.execute(sql.raw(`drop function if exists ${name}()`))
    }
  }

  const lookupQueued = async (id: number) =>
    (
      await h.payload.db.drizzle.execute(
        sql.raw(`select 1 from "${SCHEMA}"._private_jobs j join "${SCHEMA}"._private_tasks t on t.id = j.task_id
                   where t.identifier = 'publications.sweep' and (j.payload::jsonb)->'publicationIds' @> '[${id}]'::jsonb`),
      )
    ).rows.length > 0

  it('a run that breaks after the site took the post settles it unconfirmed at once, tells the customer, and the lookup finds it', async () => {
    const { publication: pub } = await approvedArticle('Ристретто · u-8')
    const allow = await refuseSettling(pub.id, ['published'])
    try {
      expect(await publishOne(h.payload, pub.id)).toMatchObject({ result: 'interrupted' })
    } finally {
      await allow()
    }
    const fresh = await publication(pub.id)
    expect(fresh.status).toBe('unconfirmed')
    expect(fresh.lastError).toBe(t('en', 'publish.interrupted'))
    expect(postsTitled('Ристретто · u-8')).toHaveLength(1)
    const notice = await waitFor(() => noticeWith('❓', 'u-8'))
    expect(notice.text).toContain(t('en', 'publish.interrupted'))
    expect(notice.buttons.map((b) => b.callback_data)).toEqual([`u:y:${pub.id}`, `u:a:${pub.id}`, expect.stringMatching(/^c:o:a:/)])
    expect(await lookupQueued(pub.id)).toBe(true)
    // The lookup a minute later, run now: the post is found, never sent again.
    expect(await resolveUnconfirmed(h.payload, pub.id)).toBe('found')
    expect((await publication(pub.id)).status).toBe('published')
    expect(postsTitled('Ристретто · u-8')).toHaveLength(1)
  })

  it('a publish job whose run broke after its claim, with the database still refusing, settles it on its retry instead of leaving it publishing', async () => {
    const { publication: pub } = await approvedArticle('Кортадо · u-9')
    const allow = await refuseSettling(pub.id, ['published', 'unconfirmed'])
    try {
      await h.payload.db.drizzle.execute(sql`update publications set planned_at = now() where id = ${pub.id}`)
      await runner.addJob('publication.publish', { publicationId: pub.id }, { jobKey: publishJobKey(pub.id), maxAttempts: JOBS['publication.publish'].spec.maxAttempts })
      // The first attempt claims it, posts, cannot record anything, and fails.
      await waitFor(async () => {
        const { rows } = await h.payload.db.drizzle.execute(
          sql.raw(`select 1 from "${SCHEMA}".jobs where key = '${publishJobKey(pub.id)}' and attempts >= 1 and last_error is not null`),
        )
        return rows.length > 0
      })
      expect((await publication(pub.id)).status).toBe('publishing')
    } finally {
      await allow()
    }
    // Its retry (graphile-worker's backoff: seconds) sees the row its own attempt claimed and settles it.
    const fresh = await waitFor(async () => {
      const row = await publication(pub.id)
      return row.status === 'unconfirmed' ? row : undefined
    })
    expect(fresh.lastError).toBe(t('en', 'publish.interrupted'))
    expect(postsTitled('Кортадо · u-9')).toHaveLength(1)
    await waitFor(() => noticeWith('❓', 'u-9'))
    expect(await lookupQueued(pub.id)).toBe(true)
  })

  it('the retry of a failed job attempt leaves a claim made by another job (still publishing) alone', async () => {
    const { publication: pub } = await approvedArticle('Макиато · u-10')
    // Another job for the same publication claimed it and is mid-call.
    expect(await claimPublication(h.payload, pub.id, 'another-job')).toBe(true)
    expect(await publishOne(h.payload, pub.id, Date.now(), { claimer: 'this-job', afterFailedAttempt: true })).toEqual({ result: 'skipped' })
    expect((await publication(pub.id)).status).toBe('publishing')
    // Its own claim is another matter: that attempt no longer runs.
    expect(await publishOne(h.payload, pub.id, Date.now(), { claimer: 'another-job', afterFailedAttempt: true })).toMatchObject({ result: 'interrupted' })
    expect((await publication(pub.id)).status).toBe('unconfirmed')
    expect(postsTitled('Макиато · u-10')).toHaveLength(0)
  })

  it('staff settle it too, named in the history; a customer cannot mark a failed or queued one published', async () => {
    const { publication: pub } = await unconfirmed('Латте · u-5')
    await h.payload.update({ collection: 'publications', id: pub.id, data: { status: 'published' }, user: editor, overrideAccess: false })
    expect((await publication(pub.id)).history?.at(-1)?.message).toContain(`staff ${editor.email}`)

    const { publication: queued } = await approvedArticle('Мокко · u-6')
    await expect(
      h.payload.update({ collection: 'publications', id: queued.id, data: { status: 'published' }, user: { ...account, collection: 'accounts' }, overrideAccess: false }),
    ).rejects.toMatchObject({ status: 403 })
  })

  it('"publish again" never undoes a lookup that confirmed it a moment earlier', async () => {
    for (let i = 0; i < 4; i++) {
      const { publication: pub } = await unconfirmed(`Гляссе ${i} · u-7`, 'after')
      const [again, looked] = await Promise.allSettled([publishAgainAs(h.payload, account, pub.id), resolveUnconfirmed(h.payload, pub.id)])
      const fresh = await publication(pub.id)
      if (looked.status === 'fulfilled' && looked.value === 'found') {
        // The lookup won: the customer's late press is refused, nothing goes out twice.
        expect(again.status).toBe('rejected')
        expect(fresh.status).toBe('published')
      } else {
        expect(again.status).toBe('fulfilled')
        expect(fresh.status).not.toBe('unconfirmed')
        // Sent again by the worker: let it finish before the next round queues its own knob.
        await waitFor(async () => ((await publication(pub.id)).status === 'published' ? true : undefined))
      }
    }
  })
})
