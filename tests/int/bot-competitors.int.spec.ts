import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { competitorRef } from '../../src/projects/competitors'
import { MAX_COMPETITORS } from '../../src/projects/schema'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('competitors')
})
afterAll(async () => {
  await h?.close()
})

const stored = async (projectId: number) =>
  ((await h.payload.findByID({ collection: 'projects', id: projectId, overrideAccess: true })).competitorUrls ?? []).map((c) => c.url)

describe('competitor pages in the bot', () => {
  it('adds pages as people type them (Cyrillic domains in punycode), refuses other schemes and internal addresses, caps the list and removes by button', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    const project = await h.payload.create({ collection: 'projects', data: { name: 'Уют', account: account.id } as never, overrideAccess: true })

    await user.press(`p:o:${project.id}`)
    const button = user.lastButtons().find((b) => b.text === '🔎 Конкуренты')
    expect(button?.callback_data).toBe(`p:cc:${project.id}`)
    await user.press(button!.callback_data)
    expect(user.lastText()).toContain('Пока не добавлено ни одной страницы')
    await user.press(`p:cca:${project.id}`)
    expect(user.lastText()).toContain('Пришлите адрес страницы конкурента')

    await user.send('ftp://example.com/file')
    expect(user.lastText()).toContain('Это не похоже на адрес сайта')
    await user.send('javascript:alert(1)')
    expect(user.lastText()).toContain('Это не похоже на адрес сайта')
    for (const internal of ['http://127.0.0.1/admin', '192.168.1.10/wp-admin', 'http://[::1]:8080/', 'intranet.local/page', 'http://10.0.0.5']) {
      await user.send(internal)
      expect(user.lastText(), internal).toMatch(/внутренний адрес|не похоже на адрес сайта/)
    }
    expect(await stored(project.id)).toEqual([])

    await user.send('домашнийуют.рф/статьи/шторы')
    expect(user.lastText()).toContain('✅ Добавлено: https://домашнийуют.рф/')
    expect(user.lastText()).toContain('1. https://домашнийуют.рф/')
    const [first] = await stored(project.id)
    expect(first).toMatch(/^https:\/\/xn--[a-z0-9-]+\.xn--p1ai\//)

    // The same page again is refused, and the question stays open.
    await user.press(`p:cca:${project.id}`)
    await user.send('https://домашнийуют.рф/статьи/шторы')
    expect(user.lastText()).toContain('Эта страница уже в списке')
    await user.send('/cancel')

    for (let i = 2; i <= MAX_COMPETITORS; i++) {
      await user.press(`p:cca:${project.id}`)
      await user.send(`https://competitor${i}.example.com/post`)
    }
    expect(await stored(project.id)).toHaveLength(MAX_COMPETITORS)
    expect(user.lastText()).toContain(`(${MAX_COMPETITORS} из ${MAX_COMPETITORS})`)
    expect(user.lastText()).toContain('это максимум')
    expect(user.lastButtons().map((b) => b.callback_data)).not.toContain(`p:cca:${project.id}`)
    await user.press(`p:cca:${project.id}`)
    expect(user.alerts().at(-1)).toContain('это максимум')

    // Removing the second page, and a second tap on the same (stale) button, removes only it.
    const remove = user.lastButtons().find((b) => b.text === '🗑 2')!
    await user.press(remove.callback_data)
    await user.press(remove.callback_data)
    expect(await stored(project.id)).toEqual([first, 'https://competitor3.example.com/post', 'https://competitor4.example.com/post', 'https://competitor5.example.com/post'])
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`p:cca:${project.id}`)

    // Another account reaches neither the list nor the question, and changes nothing.
    const { user: stranger } = await verifiedUser(h)
    await stranger.press(`p:cc:${project.id}`)
    await stranger.press(`p:cca:${project.id}`)
    await stranger.press(`p:ccd:${project.id}:${competitorRef(first)}`)
    expect(stranger.texts().join('\n')).not.toContain('домашнийуют')
    expect(await stored(project.id)).toHaveLength(MAX_COMPETITORS - 1)
  })
})
