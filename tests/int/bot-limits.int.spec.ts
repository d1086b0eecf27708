import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { workerUtils } from '../../src/jobs/inspect'
import { effectivePlan } from '../../src/usage/limits'
import { nextLocalMidnight } from '../../src/usage/spend'
import { createStaff } from '../helpers/fixtures'
import { rest } from '../helpers/rest'
import { startHarness, verifiedUser, type Harness } from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('limits')
})
afterAll(async () => {
  await h?.close()
})

async function jobCount(key: string) {
  const { rows } = await (await workerUtils()).withPgClient((client) =>
    client.query<{ n: number }>('select count(*)::int as n from graphile_worker.jobs where key = $1', [key]),
  )
  return rows[0].n
}

describe('the daily generation limit of a plan', () => {
  it('tells a free customer when the limit refills (their midnight, their zone) and what to do; a staff upgrade to pro lets the next order through at once', async () => {
    const { user, account } = await verifiedUser(h, { language: 'ru' })
    expect(account.plan).toBe('free')
    await h.payload.update({ collection: 'accounts', id: account.id, data: { timezone: 'Asia/Novosibirsk' }, overrideAccess: true })
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Лимиты', account: account.id } as never,
      overrideAccess: true,
    })
    const free = (await effectivePlan(h.payload, { plan: 'free' })).limits.dailyGenerations
    const keywords = []
    for (let i = 0; i <= free; i++)
      keywords.push(await h.payload.create({ collection: 'keywords', data: { phrase: `запрос номер ${i}`, project: project.id } as never, overrideAccess: true }))

    // The whole daily allowance of the plan goes through, not a burst smaller than it.
    for (const kw of keywords.slice(0, free)) {
      await user.press(`c:gp:${kw.id}`)
      expect(await jobCount(`post.generate:keyword:${kw.id}`), kw.phrase).toBe(1)
    }
    expect(user.texts().filter((text) => text.includes('Пишу пост'))).toHaveLength(free)
    const extra = keywords[free]
    await user.press(`c:gp:${extra.id}`)
    const refusal = user.lastText()
    expect(refusal).toContain(`Тариф «Free»: использовано ${free} из ${free} в день`)
    expect(refusal).toContain('Лимит обновится завтра в 00:00 (Asia/Novosibirsk), через ')
    const [, hours, minutes] = refusal.match(/через (\d+) ч (\d+) мин/)!
    const expectedMinutes = (nextLocalMidnight('Asia/Novosibirsk').getTime() - Date.now()) / 60_000
    expect(Math.abs(Number(hours) * 60 + Number(minutes) - expectedMinutes)).toBeLessThan(3)
    // What the customer can do: change the plan or buy credits (the buttons every limit carries).
    expect(refusal).toContain('написать в поддержку')
    expect(refusal).toContain('/plan')
    expect(user.lastButtons().map((b) => b.callback_data)).toEqual(['b:pl', 'b:pk', 'm:home'])
    expect(await jobCount(`post.generate:keyword:${extra.id}`)).toBe(0)

    // Staff upgrade the account through REST while the bot keeps running (its cache is warm).
    const staff = await createStaff(h.payload, ['admin'])
    const patched = await rest('PATCH', `/accounts/${account.id}`, { auth: staff.auth, body: { plan: 'pro' } })
    expect(patched.status).toBe(200)
    expect(patched.json.doc.plan).toBe('pro')

    await user.press(`c:gp:${extra.id}`)
    expect(user.lastText()).toContain('Пишу пост')
    expect(await jobCount(`post.generate:keyword:${extra.id}`)).toBe(1)
  })

  it('says the same in English', async () => {
    const { user, account } = await verifiedUser(h, { language: 'en' })
    const project = await h.payload.create({ collection: 'projects', data: { name: 'Limits', account: account.id } as never, overrideAccess: true })
    const free = (await effectivePlan(h.payload, { plan: 'free' })).limits.dailyGenerations
    for (let i = 0; i <= free; i++) {
      const kw = await h.payload.create({ collection: 'keywords', data: { phrase: `phrase number ${i}`, project: project.id } as never, overrideAccess: true })
      await user.press(`c:gp:${kw.id}`)
    }
    expect(user.lastText()).toContain(`Plan “Free”: ${free} of ${free} a day used`)
    expect(user.lastText()).toMatch(/The limit refills tomorrow at 00:00 \(Europe\/Moscow\), in \d+ h \d+ min/)
    expect(user.lastText()).toContain('contact support')
  })
})
