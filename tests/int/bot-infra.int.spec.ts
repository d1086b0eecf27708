import { randomInt } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { cb } from '../../src/bot/callbacks'
import { CAPTCHA_ATTEMPTS } from '../../src/bot/features/start'
import { tr } from '../../src/i18n'
import { splitTelegramText } from '../../src/telegram/html'
import { TELEGRAM_LIMITS } from '../../src/telegram/outgoing'
import { DEFAULT_LIMITS } from '../../src/bot/rateLimit'
import { EMOJI_BY_NAME } from '../helpers/captcha'
import { createTenant } from '../helpers/fixtures'
import { accountOf, startHarness, telegramUser, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('infra')
})
afterAll(async () => {
  await h?.close()
})


describe('/start and the human check', () => {
  it('creates the account once, asks a pick-the-emoji question, and lets nothing else through until it is answered', async () => {
    const user = telegramUser(h)
    await user.send('/start')
    await user.send('/start')
    const { docs } = await h.payload.find({
      collection: 'accounts',
      where: { telegramId: { equals: user.id } },
      overrideAccess: true,
    })
    expect(docs).toHaveLength(1)
    expect(docs[0].language).toBe('en')
    expect(docs[0].verifiedHumanAt).toBeFalsy()

    await user.send('/projects')
    await user.press('p:list:1')
    expect(user.texts().some((t) => t.includes('Your projects'))).toBe(false)

    // Solve it the way a person does: read the name, tap the matching picture.
    const target = user.lastText().match(/<b>(\w+)<\/b>/)![1]
    const button = user.lastButtons().find((b) => b.text === EMOJI_BY_NAME[target])!
    expect(user.lastButtons()).toHaveLength(6)
    await user.press(button.callback_data)

    expect((await accountOf(h.payload, user.id))?.verifiedHumanAt).toBeTruthy()
    expect(user.lastText()).toContain('Main menu')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual([
      'p:list:1',
      'p:new',
      'b:home',
      'm:lang',
      'm:help',
      'sp:open',
      'pd:home',
    ])
  })

  it('locks the check for a while after a few wrong answers', async () => {
    const user = telegramUser(h)
    await user.send('/start')
    for (let i = 0; i < CAPTCHA_ATTEMPTS; i++) {
      const { captcha } = await h.session(user.id)
      await user.press(`cap:${(captcha!.answer + 1) % 6}`)
    }
    expect(user.lastText()).toContain('Too many wrong answers')
    await user.send('/start')
    expect(user.lastText()).toContain('Too many wrong answers')
    expect((await h.session(user.id)).captcha).toBeUndefined()
    expect((await accountOf(h.payload, user.id))?.verifiedHumanAt).toBeFalsy()
  })

  it('every main-menu button leads somewhere', async () => {
    const { user } = await verifiedUser(h)
    expect(user.lastButtons().length).toBeGreaterThan(0)
    for (const button of user.lastButtons()) {
      h.fake.clear()
      await user.press(button.callback_data)
      expect(user.alerts()).not.toContain(tr('en', 'cb.invalid'))
      expect(user.texts().length).toBeGreaterThan(0)
      await user.send('/cancel')
      await user.send('/menu')
    }
  })

  it('speaks Russian to a Russian Telegram user and switches language on request, keeping it on the account', async () => {
    const { user } = await verifiedUser(h, { language: 'ru' })
    expect(user.lastText()).toContain('Главное меню')
    await user.send('/language')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(['m:sl:ru', 'm:sl:en', 'm:home'])
    await user.press('m:sl:en')
    expect((await accountOf(h.payload, user.id))?.language).toBe('en')
    await user.send('/help')
    expect(user.lastText()).toContain('How it works')
  })
})

describe('commands and unknown input', () => {
  it('/help, /cancel with and without a conversation, and a helpful answer to anything else', async () => {
    const { user } = await verifiedUser(h)
    await user.send('/help')
    expect(user.lastText()).toContain('/cancel')

    await user.send('/cancel')
    expect(user.lastText()).toBe(tr('en', 'cancel.nothing'))

    await user.send('/new')
    expect((await h.session(user.id)).flow?.name).toBe('project.create')
    await user.send('/cancel')
    expect(user.lastText()).toBe(tr('en', 'cancel.done'))
    expect((await h.session(user.id)).flow).toBeUndefined()

    await user.send('/frobnicate')
    expect(user.lastText()).toBe(tr('en', 'unknown.command'))
    await user.send('hello there')
    expect(user.lastText()).toBe(tr('en', 'unknown.text'))
    await user.sendSticker()
    expect(user.lastText()).toBe(tr('en', 'unknown.message'))
  })

  it('sessions live in Redis with a TTL', async () => {
    const { user } = await verifiedUser(h)
    const ttl = await h.redis.ttl(`${h.keyPrefix}session:${user.id}`)
    expect(ttl).toBeGreaterThan(60 * 60)
    expect(ttl).toBeLessThanOrEqual(3 * 24 * 60 * 60)
  })
})

describe('rate limit', () => {
  it('lets a burst of five through, drops the rest, and says "slow down" once', async () => {
    const { user } = await verifiedUser(h)
    const limited = h.newBot({ limits: DEFAULT_LIMITS })
    h.fake.clear()
    for (let i = 0; i < 15; i++)
      await limited.handleUpdate(user.messageUpdate({ text: `hello ${i}` }))
    const texts = user.texts()
    const slowDowns = texts.filter((t) => t === tr('en', 'rate.slow_down'))
    const answered = texts.filter((t) => t === tr('en', 'unknown.text'))
    expect(slowDowns).toHaveLength(1)
    // Five from the burst, at most one more refilled while the loop ran.
    expect(answered.length).toBeGreaterThanOrEqual(5)
    expect(answered.length).toBeLessThanOrEqual(6)
    expect(texts).toHaveLength(answered.length + 1)
    expect(await h.redis.pttl(`${h.keyPrefix}rl:${user.id}:notice`)).toBeGreaterThan(0)
  })
})

describe('forged and garbage callback data', () => {
  it('is refused with a clear alert, always answered, and changes nothing', async () => {
    const { user } = await verifiedUser(h)
    const other = await createTenant(h.payload, { name: 'Victim' })
    const article = await h.payload.create({
      collection: 'articles',
      data: { title: 'Victim article', project: other.project.id } as never,
      overrideAccess: true,
    })
    const keyword = await h.payload.create({
      collection: 'keywords',
      data: { phrase: 'victim keyword', project: other.project.id } as never,
      overrideAccess: true,
    })

    const garbage = [
      'zzz',
      'p:o:abc',
      'p:o:-1',
      'p:dy:99999999999',
      'p:list:0',
      'c:mv:q:1:a',
      'k:st:1:z',
      'p:ef:1:password',
      'cap:9',
    ]
    for (const data of garbage) {
      h.fake.clear()
      await user.press(data)
      expect(h.fake.callsTo('answerCallbackQuery')).toHaveLength(1)
      expect(user.alerts()[0]).toBe(tr('en', 'cb.invalid'))
    }

    const foreign = [
      `p:o:${other.project.id}`,
      `p:dy:${other.project.id}`,
      `p:ef:${other.project.id}:n`,
      `k:im:${other.project.id}`,
      `k:st:${keyword.id}:d`,
      `c:mv:a:${article.id}:a`,
      `c:ga:${keyword.id}`,
      `c:gl:${keyword.id}:m`,
      `u:l:${other.project.id}:1`,
    ]
    for (const data of foreign) {
      h.fake.clear()
      await user.press(data)
      expect(h.fake.callsTo('answerCallbackQuery')).toHaveLength(1)
      expect(`${data} ${user.alerts()[0]}`).toMatch(
        /Not found, or it belongs to another account|Project not found or owned by another account/,
      )
    }

    expect((await h.session(user.id)).flow).toBeUndefined()
    const project = await h.payload.findByID({
      collection: 'projects',
      id: other.project.id,
      overrideAccess: true,
    })
    expect(project.name).toBe('Victim project')
    expect(
      (await h.payload.findByID({ collection: 'keywords', id: keyword.id, overrideAccess: true }))
        .status,
    ).toBe('new')
    expect(
      (await h.payload.findByID({ collection: 'articles', id: article.id, overrideAccess: true }))
        .workflowStatus,
    ).toBe('draft')
  })
})

describe('what the bot sends, paced as Telegram demands', () => {
  it('waits out a 429 retry_after and delivers the reply instead of failing the update', async () => {
    const { user } = await verifiedUser(h)
    h.fake.clear()
    h.fake.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 })
    const started = Date.now()
    await user.send('/help')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
    expect(user.lastText()).toContain('How it works')
    expect(h.fake.callsTo('sendMessage').filter((c) => c.params.chat_id === user.id)).toHaveLength(2)
  })

  it('keeps to about one message a second per chat after a short burst, without slowing other chats', async () => {
    const bot = h.newBot({ outgoing: TELEGRAM_LIMITS })
    const chat = randomInt(100_000_000, 2_000_000_000)
    /** Five chats nobody has written to, at once, through the same paced bot: how long that takes. */
    const fiveOthers = async (first: number) => {
      const began = Date.now()
      await Promise.all(Array.from({ length: 5 }, (_, i) => bot.api.sendMessage(first + i, `hello ${i}`)))
      return Date.now() - began
    }
    // What five fresh chats take with no chat being held back: the calls themselves, however slow
    // the machine is right now.
    const unhindered = await fiveOthers(chat + 1)
    let started = Date.now()
    for (let i = 0; i < 5; i++) await bot.api.sendMessage(chat, `message ${i}`)
    // Burst of 3 at once, then the 4th and 5th a second apart each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900)

    // Five more fresh chats right after that chat was held back: held behind its one-a-second pace
    // they would take about a second longer than the five above; they take no longer.
    const afterHeld = await fiveOthers(chat + 6)
    expect(afterHeld - unhindered, `${afterHeld} ms, against ${unhindered} ms with no chat held back`).toBeLessThan(900)
  })
})

describe('error boundary', () => {
  /** 'error.apology_recorded' with any 8-character reference. */
  const apology = new RegExp(`^${tr('en', 'error.apology_recorded', { ref: 'REF' }).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('REF', '[0-9a-f]{8}')}$`)
  it('survives failing Bot API calls: the update ends, the user gets an apology, the next update works', async () => {
    const { user } = await verifiedUser(h)
    h.fake.clear()
    h.fake.fail('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' })
    await expect(user.send('/help')).resolves.toBeUndefined()
    // No error tracking in this test: the apology says the error was recorded, with its reference.
    expect(user.lastText()).toMatch(apology)

    h.fake.fail('editMessageText', { status: 500, description: 'Internal Server Error' })
    await user.press('m:help')
    expect(user.alerts().at(-1)).toMatch(apology)

    await user.send('/help')
    expect(user.lastText()).toContain('How it works')
  })
})

describe('building blocks', () => {
  it('never builds callback data over 64 bytes', () => {
    expect(cb('p:ef', 2_147_483_647, 'tz')).toBe('p:ef:2147483647:tz')
    expect(() => cb('k:cv', 'я'.repeat(40))).toThrow(/64 bytes/)
  })

  it('cuts text at paragraphs, then lines, then words, and hard only when it must', () => {
    const paragraph = 'word '.repeat(300).trim()
    const parts = splitTelegramText([paragraph, paragraph, paragraph, paragraph].join('\n\n'))
    expect(parts).toEqual([`${paragraph}\n\n${paragraph}`, `${paragraph}\n\n${paragraph}`])
    expect(splitTelegramText('x'.repeat(5000)).map((p) => p.length)).toEqual([4096, 904])
  })
})
