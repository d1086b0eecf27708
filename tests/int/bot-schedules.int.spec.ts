import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tr } from '../../src/i18n'
import type { Account } from '../../src/payload-types'
import {
  expectAlerts,
  startHarness,
  verifiedUser,
  type Harness,
  type TestUser,
} from './bot-harness'

let h: Harness

beforeAll(async () => {
  h = await startHarness('schedules')
})
afterAll(async () => {
  await h?.close()
})

const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MOSCOW_OFFSET_MS = 3 * 3600_000 // Moscow has had no DST since 2014.

async function projectWithConnections(account: Account) {
  const project = await h.payload.create({
    collection: 'projects',
    data: { name: 'Schedules', account: account.id, timezone: 'Europe/Moscow' } as never,
    overrideAccess: true,
  })
  const site = await h.payload.create({
    collection: 'connections',
    data: {
      displayName: 'zerno.ru',
      platform: 'wordpress',
      project: project.id,
      credentials: {
        siteUrl: 'https://zerno.ru',
        username: 'ed',
        applicationPassword: 'abcd efgh ijkl',
      },
    } as never,
    overrideAccess: true,
  })
  const channel = await h.payload.create({
    collection: 'connections',
    data: {
      displayName: 'Zerno channel',
      platform: 'telegram',
      project: project.id,
      credentials: { chatId: -1001000000001 },
    } as never,
    overrideAccess: true,
  })
  return { project, site, channel }
}

function button(user: TestUser, label: string) {
  const found = user.lastButtons().find((b) => b.text.includes(label))
  expect(
    found,
    `a button labelled ${label} among ${user.lastButtons().map((b) => b.text)}`,
  ).toBeDefined()
  return found!.callback_data
}

/** Moscow wall-clock slots computed by plain arithmetic (UTC+3), formatted as the bot shows them. */
function expectedMoscowSlots(days: number[], times: string[], count: number, now = Date.now()) {
  const instants: number[] = []
  const today = new Date(now + MOSCOW_OFFSET_MS)
  for (let i = 0; i < 21; i++) {
    const date = new Date(
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + i),
    )
    if (!days.includes(date.getUTCDay())) continue
    for (const time of times) {
      const [hour, minute] = time.split(':').map(Number)
      const instant = date.getTime() + (hour * 60 + minute) * 60_000 - MOSCOW_OFFSET_MS
      if (instant > now) instants.push(instant)
    }
  }
  return instants
    .sort((a, b) => a - b)
    .slice(0, count)
    .map((instant) => {
      const local = new Date(instant + MOSCOW_OFFSET_MS)
      const two = (n: number) => String(n).padStart(2, '0')
      return `${WEEKDAYS_EN[local.getUTCDay()]} ${two(local.getUTCDate())}.${two(local.getUTCMonth() + 1)} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`
    })
}

async function schedulesOf(projectId: number) {
  const { docs } = await h.payload.find({
    collection: 'schedules',
    where: { project: { equals: projectId } },
    overrideAccess: true,
    depth: 0,
  })
  return docs
}

describe('creating a schedule in the bot', () => {
  it('parses weekly slots, refuses bad ones clearly, shows the next three in Moscow time and saves the rows', async () => {
    const { user, account } = await verifiedUser(h)
    const { project, site, channel } = await projectWithConnections(account)
    await user.press(`s:l:${project.id}`)
    await user.press(button(user, tr('en', 'sched.new')))
    expect(user.lastText()).toContain(tr('en', 'sched.ask.connection'))
    await user.press(button(user, tr('en', 'sched.all_connections')))
    await user.press(button(user, tr('en', 'sched.kind.posts')))
    await user.press(button(user, tr('en', 'sched.cadence.slots')))
    expect(user.lastText()).toContain('Moscow (UTC+3)')

    await user.send('mon someday 10:00')
    expect(user.lastText()).toContain('could not read a weekday')
    await user.send('mon wed fri 25:00')
    expect(user.lastText()).toContain('could not read a time')
    expect((await h.session(user.id)).flow?.data).toMatchObject({ kind: 'posts', cadence: 'slots' })

    await user.send('пн ср пт 10:00, 18:30')
    await user.press(button(user, tr('en', 'flow.skip')))
    const preview = user.lastText()
    expect(preview).toContain(tr('en', 'sched.preview', { zone: 'Moscow (UTC+3)' }))
    const expected = expectedMoscowSlots([1, 3, 5], ['10:00', '18:30'], 3)
    for (const line of expected) expect(preview).toContain(`• ${line}`)
    expect(preview).toContain('Mon Wed Fri 10:00, 18:30')

    await user.press(button(user, tr('en', 'sched.save')))
    expect(user.lastText()).toContain('created')
    const [schedule] = await schedulesOf(project.id)
    expect(schedule).toMatchObject({
      cadence: 'slots',
      contentKind: 'posts',
      active: true,
      account: account.id,
      connections: [site.id, channel.id],
    })
    expect(schedule.slots!.map((s) => `${s.weekday} ${s.time}`)).toEqual([
      'mon 10:00',
      'mon 18:30',
      'wed 10:00',
      'wed 18:30',
      'fri 10:00',
      'fri 18:30',
    ])
    expect(Date.parse(schedule.startsAt!)).toBeLessThanOrEqual(Date.now())
    expect((await h.session(user.id)).flow).toBeUndefined()
  })

  it('an interval from a start date previews midnight in Moscow and stores the instant in UTC', async () => {
    const { user, account } = await verifiedUser(h)
    const { project, site } = await projectWithConnections(account)
    await user.press(`s:n:${project.id}`)
    await user.press(button(user, 'zerno.ru'))
    await user.press(button(user, tr('en', 'sched.kind.articles')))
    await user.press(button(user, tr('en', 'sched.cadence.interval')))
    await user.send('0')
    expect(user.lastText()).toContain(tr('en', 'v.interval_hours'))
    await user.send('48')

    await user.send('01.01.2020')
    expect(user.lastText()).toContain('has passed')
    const start = new Date(Date.now() + MOSCOW_OFFSET_MS + 10 * 86_400_000)
    const [d, m, y] = [start.getUTCDate(), start.getUTCMonth() + 1, start.getUTCFullYear()]
    const two = (n: number) => String(n).padStart(2, '0')
    await user.send(`${two(d)}.${two(m)}.${y}`)
    const preview = user.lastText()
    const midnightUtc = Date.UTC(y, m - 1, d) - MOSCOW_OFFSET_MS
    const at = (offsetDays: number) => {
      const local = new Date(midnightUtc + offsetDays * 86_400_000 + MOSCOW_OFFSET_MS)
      return `${WEEKDAYS_EN[local.getUTCDay()]} ${two(local.getUTCDate())}.${two(local.getUTCMonth() + 1)} 00:00`
    }
    for (const line of [at(0), at(2), at(4)]) expect(preview).toContain(`• ${line}`)

    await user.press(button(user, tr('en', 'sched.save')))
    const [schedule] = await schedulesOf(project.id)
    expect(schedule).toMatchObject({
      cadence: 'interval',
      intervalMinutes: 48 * 60,
      contentKind: 'articles',
      connections: [site.id],
    })
    expect(new Date(schedule.startsAt!).toISOString()).toBe(new Date(midnightUtc).toISOString())
  })

  it('changes the times of a schedule and deletes it', async () => {
    const { user, account } = await verifiedUser(h)
    const { project, site } = await projectWithConnections(account)
    const schedule = await h.payload.create({
      collection: 'schedules',
      data: {
        name: 'Daily',
        project: project.id,
        connections: [site.id],
        cadence: 'interval',
        intervalMinutes: 1440,
      } as never,
      overrideAccess: true,
    })
    await user.press(`s:l:${project.id}`)
    await user.press(`s:e:${schedule.id}`)
    await user.press(button(user, tr('en', 'sched.cadence.slots')))
    await user.send('sat 12:00')
    expect(user.lastText()).toContain('Sat 12:00')
    await user.press(button(user, tr('en', 'sched.save')))
    let stored = await h.payload.findByID({
      collection: 'schedules',
      id: schedule.id,
      overrideAccess: true,
    })
    expect(stored.cadence).toBe('slots')
    expect(stored.slots!.map((s) => `${s.weekday} ${s.time}`)).toEqual(['sat 12:00'])
    expect(stored.intervalMinutes ?? null).toBeNull()

    await user.press(`s:d:${schedule.id}`)
    await user.press(button(user, tr('en', 'sched.delete_yes')))
    expect(user.lastText()).toContain('deleted')
    expect(await schedulesOf(project.id)).toHaveLength(0)
  })

  it('without an active connection it points to the connections instead of starting', async () => {
    const { user, account } = await verifiedUser(h)
    const project = await h.payload.create({
      collection: 'projects',
      data: { name: 'Empty', account: account.id } as never,
      overrideAccess: true,
    })
    await user.press(`s:n:${project.id}`)
    expect(user.lastText()).toBe(tr('en', 'sched.no_connections'))
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`n:l:${project.id}`)
    expect((await h.session(user.id)).flow).toBeUndefined()
  })

  it("forged buttons for another account's schedule or project change nothing", async () => {
    const { account: owner } = await verifiedUser(h)
    const { project, site } = await projectWithConnections(owner)
    const schedule = await h.payload.create({
      collection: 'schedules',
      data: {
        name: 'Owner',
        project: project.id,
        connections: [site.id],
        cadence: 'interval',
        intervalMinutes: 600,
      } as never,
      overrideAccess: true,
    })
    const { user: intruder } = await verifiedUser(h)
    await expectAlerts(
      h,
      intruder,
      [
        `s:n:${project.id}`,
        `s:e:${schedule.id}`,
        `s:d:${schedule.id}`,
        `s:dy:${schedule.id}`,
        `s:p:${schedule.id}`,
      ],
      tr('en', 'err.not_found'),
    )
    expect((await h.session(intruder.id)).flow).toBeUndefined()
    const after = await h.payload.findByID({
      collection: 'schedules',
      id: schedule.id,
      overrideAccess: true,
    })
    expect(after).toMatchObject({ active: true, cadence: 'interval', intervalMinutes: 600 })
  })
})
