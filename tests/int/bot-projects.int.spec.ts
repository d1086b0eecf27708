import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tr } from '../../src/i18n'
import { startHarness, telegramUser, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('projects')
})
afterAll(async () => {
  await h?.close()
})

async function projectsOf(accountId: number) {
  const { docs } = await h.payload.find({
    collection: 'projects',
    where: { account: { equals: accountId } },
    overrideAccess: true,
    sort: 'createdAt',
    limit: 100,
  })
  return docs
}

describe('creating a project in a conversation', () => {
  it('validates each answer, keeps earlier answers on a refusal, and resumes on a new bot instance', async () => {
    const { user, account } = await verifiedUser(h)
    await user.press('p:new')
    expect(user.lastText()).toContain('Step 1 of 6')

    await user.send('x'.repeat(121))
    expect(user.lastText()).toContain('Too long: 121 characters, at most 120')
    expect((await h.session(user.id)).flow).toMatchObject({ name: 'project.create', step: 0 })
    await user.send('Stroy Kazan')
    await user.send('not a url')
    expect(user.lastText()).toContain("doesn't look like a site address")
    await user.send('https://stroy-kazan.ru')
    expect((await h.session(user.id)).flow?.data).toMatchObject({
      name: 'Stroy Kazan',
      siteUrl: 'https://stroy-kazan.ru',
    })

    // The process restarts: a brand-new bot on the same Redis carries on from step 3.
    const restarted = h.newBot()
    const resumed = telegramUser(h, { id: user.id, bot: () => restarted })
    await resumed.send('Flat renovation in Kazan')
    await resumed.send('a'.repeat(2001))
    expect(resumed.lastText()).toContain('at most 2000')
    await resumed.send('Young families buying their first flat')
    const tone = resumed.lastButtons().find((b) => b.text.includes('Expert'))!
    await resumed.press(tone.callback_data)
    expect(resumed.lastText()).toContain('Europe/Moscow')
    // Zones are offered by city and offset; the IANA name is what is stored.
    expect(resumed.lastButtons()[0]).toEqual({ text: 'Moscow (UTC+3)', callback_data: 'f:c:5:0' })
    await resumed.send('Mars/Olympus')
    expect(resumed.lastText()).toContain('I don\'t know the city or time zone "Mars/Olympus"')
    await resumed.send('asia/yekaterinburg')

    const [project] = await projectsOf(account.id)
    expect(project).toMatchObject({
      name: 'Stroy Kazan',
      siteUrl: 'https://stroy-kazan.ru',
      niche: 'Flat renovation in Kazan',
      audience: 'Young families buying their first flat',
      toneOfVoice: 'Expert, with facts and examples',
      timezone: 'Asia/Yekaterinburg',
      language: 'en',
    })
    expect((await h.session(user.id)).flow).toBeUndefined()
    expect(resumed.lastText()).toContain('Project created')
    expect(resumed.lastText()).toContain('Stroy Kazan')
  })

  it('skips optional answers and refuses a stale step button', async () => {
    const { user, account } = await verifiedUser(h)
    await user.send('/new')
    await user.send('Bare project')
    for (let step = 1; step <= 4; step++) await user.press(`f:s:${step}`)
    await user.press('f:s:2')
    expect(user.alerts().at(-1)).toBe(tr('en', 'flow.stale'))
    await user.press('f:c:5:0')
    const [project] = await projectsOf(account.id)
    expect(project).toMatchObject({
      name: 'Bare project',
      siteUrl: null,
      niche: null,
      timezone: 'Europe/Moscow',
    })
  })
})

describe('browsing, editing and deleting projects', () => {
  it('pages the list by editing the same message', async () => {
    const { user, account } = await verifiedUser(h)
    for (let i = 1; i <= 7; i++) {
      await h.payload.create({
        collection: 'projects',
        data: { name: `P${i}`, account: account.id } as never,
        overrideAccess: true,
      })
    }
    h.fake.clear()
    await user.press('p:list:1', 777)
    const first = h.fake.callsTo('editMessageText', user.id).at(-1)!
    expect(first.params.message_id).toBe(777)
    expect(first.params.text).toContain('Your projects</b> (7)')
    const pager = user.lastButtons().filter((b) => /^(◀|▶|\d+\/\d+)$/.test(b.text))
    expect(pager).toEqual([
      { text: '1/2', callback_data: 'p:list:1' },
      { text: '▶', callback_data: 'p:list:2' },
    ])
    await user.press('p:list:2', 777)
    const second = h.fake.callsTo('editMessageText', user.id).at(-1)!
    expect(second.params.message_id).toBe(777)
    const names = user
      .lastButtons()
      .filter((b) => b.callback_data.startsWith('p:o:'))
      .map((b) => b.text)
    expect(names).toHaveLength(2)
    expect(user.lastButtons().map((b) => b.text)).toContain('◀')
    expect(h.fake.callsTo('sendMessage', user.id)).toHaveLength(0)
  })

  it('opens a card, edits a field (and clears one), and deletes with confirmation', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Editable', niche: 'Old niche', account: account.id } as never,
      overrideAccess: true,
    })
    await user.press(`p:o:${project.id}`)
    expect(user.lastText()).toContain('Editable')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(
      expect.arrayContaining([
        `k:l:${project.id}:1`,
        `c:l:a:${project.id}:1`,
        `p:ed:${project.id}`,
        `p:del:${project.id}`,
      ]),
    )

    await user.press(`p:ed:${project.id}`)
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`p:ef:${project.id}:tz`)
    await user.press(`p:ef:${project.id}:n`)
    expect(user.lastText()).toContain('Now: <i>Editable</i>')
    await user.send('Renamed')
    await user.press(`p:ef:${project.id}:ni`)
    await user.press('f:s:0')
    await user.press(`p:ef:${project.id}:l`)
    await user.press('f:c:0:0')
    let stored = await h.payload.findByID({
      collection: 'projects',
      id: project.id,
      overrideAccess: true,
    })
    expect(stored).toMatchObject({ name: 'Renamed', niche: null, language: 'ru' })
    expect(user.lastText()).toContain('Saved')

    await user.press(`p:del:${project.id}`)
    expect(user.lastText()).toContain('cannot be undone')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual([
      `p:dy:${project.id}`,
      `p:o:${project.id}`,
    ])
    stored = await h.payload.findByID({
      collection: 'projects',
      id: project.id,
      overrideAccess: true,
    })
    expect(stored).toBeTruthy()
    await user.press(`p:dy:${project.id}`)
    const gone = await h.payload.find({
      collection: 'projects',
      where: { id: { equals: project.id } },
      overrideAccess: true,
    })
    expect(gone.totalDocs).toBe(0)
    expect(user.lastText()).toContain('was deleted')
  })

  it('opens a project from a deep link', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Linked', account: account.id } as never,
      overrideAccess: true,
    })
    await user.send(`/start p${project.id}`)
    expect(user.lastText()).toContain('Linked')
  })
})
