/**
 * Wall-clock time in an IANA zone <-> UTC instants, with Intl only. Ambiguous and skipped local
 * times follow Temporal's "compatible" rule: in a fall-back overlap the earlier instant, in a
 * spring-forward gap the time moved forward by the gap (02:30 that does not exist -> 03:30).
 */
export type LocalDateTime = { year: number; month: number; day: number; hour: number; minute: number }

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    })
    formatters.set(timeZone, f)
  }
  return f
}

export function toLocal(timeZone: string, instant: number): LocalDateTime & { weekday: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]))
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday),
  }
}

/** Offset of the zone from UTC at an instant, in milliseconds (local minus UTC). */
export function offsetAt(timeZone: string, instant: number): number {
  const l = toLocal(timeZone, instant)
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, new Date(instant).getUTCSeconds())
  return asUtc - Math.floor(instant / 1000) * 1000
}

const HALF_DAY = 12 * 3600_000

export function fromLocal(timeZone: string, local: LocalDateTime): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute)
  const before = wall - offsetAt(timeZone, wall - HALF_DAY)
  const after = wall - offsetAt(timeZone, wall + HALF_DAY)
  const matches = [before, after].filter((instant) => {
    const l = toLocal(timeZone, instant)
    return l.year === local.year && l.month === local.month && l.day === local.day && l.hour === local.hour && l.minute === local.minute
  })
  if (matches.length > 0) return Math.min(...matches)
  return before
}

/** Adds whole calendar days to a local date (no time zone involved). */
export function addDays(local: Pick<LocalDateTime, 'year' | 'month' | 'day'>, days: number) {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days))
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: (d.getUTCDay() + 6) % 7 }
}
