import { describe, expect, it } from 'vitest'

import { parseStartDate } from '../../src/scheduling/parse'
import { slotInstants } from '../../src/scheduling/slots'
import { fromLocal } from '../../src/scheduling/zoned'

const iso = (list: number[]) => list.map((t) => new Date(t).toISOString())
const at = (s: string) => new Date(s).getTime()

describe('schedule slots', () => {
  it('Europe/Moscow: weekday slots are UTC+3 all year', () => {
    const list = slotInstants(
      { kind: 'slots', timeZone: 'Europe/Moscow', slots: [{ weekday: 'mon', time: '09:00' }, { weekday: 'thu', time: '18:30' }] },
      { after: at('2026-11-23T00:00:00Z'), until: at('2026-12-01T00:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-11-23T06:00:00.000Z', '2026-11-26T15:30:00.000Z', '2026-11-30T06:00:00.000Z'])
  })

  it('America/New_York: the same local time moves by an hour in UTC across the March change', () => {
    const list = slotInstants(
      { kind: 'slots', timeZone: 'America/New_York', slots: [{ weekday: 'sat', time: '10:00' }, { weekday: 'sun', time: '10:00' }] },
      { after: at('2026-03-07T00:00:00Z'), until: at('2026-03-09T00:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-03-07T15:00:00.000Z', '2026-03-08T14:00:00.000Z'])
  })

  it('a slot inside the spring-forward gap happens once, moved forward by the gap', () => {
    const list = slotInstants(
      { kind: 'slots', timeZone: 'America/New_York', slots: [{ weekday: 'sun', time: '02:30' }] },
      { after: at('2026-03-07T00:00:00Z'), until: at('2026-03-09T00:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-03-08T07:30:00.000Z'])
  })

  it('a slot inside the fall-back overlap happens once, at its first occurrence', () => {
    const list = slotInstants(
      { kind: 'slots', timeZone: 'Europe/Berlin', slots: [{ weekday: 'sun', time: '02:30' }] },
      { after: at('2026-10-24T00:00:00Z'), until: at('2026-10-27T00:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-10-25T00:30:00.000Z'])
    expect(new Date(fromLocal('Europe/Berlin', { year: 2026, month: 10, day: 25, hour: 3, minute: 30 })).toISOString()).toBe('2026-10-25T02:30:00.000Z')
  })

  it('respects start and end dates and the window', () => {
    const list = slotInstants(
      { kind: 'slots', timeZone: 'UTC', slots: [{ weekday: 'tue', time: '12:00' }] },
      { after: at('2026-01-01T00:00:00Z'), until: at('2026-02-01T00:00:00Z'), startsAt: at('2026-01-10T00:00:00Z'), endsAt: at('2026-01-20T12:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-01-13T12:00:00.000Z', '2026-01-20T12:00:00.000Z'])
  })

  it('an interval is elapsed time from its anchor, unaffected by DST', () => {
    const list = slotInstants(
      { kind: 'interval', minutes: 360, anchor: at('2026-03-07T20:00:00Z') },
      { after: at('2026-03-08T00:00:00Z'), until: at('2026-03-08T18:00:00Z') },
    )
    expect(iso(list)).toEqual(['2026-03-08T02:00:00.000Z', '2026-03-08T08:00:00.000Z', '2026-03-08T14:00:00.000Z'])
  })

  it('a typed start date is midnight in the project zone; impossible, past and far dates are refused by name', () => {
    const now = at('2026-11-28T12:00:00Z')
    expect(parseStartDate('25.12.2026', 'Europe/Moscow', now)).toEqual({ ok: true, startsAt: '2026-12-24T21:00:00.000Z' })
    expect(parseStartDate('2027-03-29', 'Europe/Berlin', now)).toEqual({ ok: true, startsAt: '2027-03-28T22:00:00.000Z' })
    expect(parseStartDate(' ', 'Europe/Moscow', now)).toEqual({ ok: true, startsAt: '2026-11-28T12:00:00.000Z' })
    expect(parseStartDate('31.02.2027', 'Europe/Moscow', now)).toEqual({ ok: false, error: 'date_format' })
    expect(parseStartDate('tomorrow', 'Europe/Moscow', now)).toEqual({ ok: false, error: 'date_format' })
    expect(parseStartDate('27.11.2026', 'Europe/Moscow', now)).toEqual({ ok: false, error: 'date_past' })
    expect(parseStartDate('28.11.2026', 'Europe/Moscow', now)).toEqual({ ok: true, startsAt: '2026-11-27T21:00:00.000Z' })
    expect(parseStartDate('01.01.2028', 'Europe/Moscow', now)).toEqual({ ok: false, error: 'date_far' })
  })
})
