import { addDays, fromLocal, toLocal } from './zoned'

export const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAY_NAMES)[number]

export type Cadence =
  | { kind: 'slots'; timeZone: string; slots: { weekday: Weekday; time: string }[] }
  | { kind: 'interval'; minutes: number; anchor: number }

/**
 * The UTC instants of a schedule in (after, until], within its optional start and end, sorted.
 * Weekly slots are wall-clock times in the project's zone (correct across DST); an interval is
 * elapsed time from its anchor.
 */
export function slotInstants(
  cadence: Cadence,
  window: { after: number; until: number; startsAt?: number | null; endsAt?: number | null },
): number[] {
  const from = Math.max(window.after, (window.startsAt ?? -Infinity) - 1)
  const to = Math.min(window.until, window.endsAt ?? Infinity)
  if (to <= from) return []
  const instants: number[] = []
  if (cadence.kind === 'interval') {
    const step = cadence.minutes * 60_000
    const first = cadence.anchor + Math.max(0, Math.floor((from - cadence.anchor) / step) + 1) * step
    for (let t = first; t <= to; t += step) if (t > from) instants.push(t)
    return instants
  }
  const start = toLocal(cadence.timeZone, from)
  const days = Math.ceil((to - from) / 86_400_000) + 2
  for (let i = -1; i <= days; i++) {
    const date = addDays(start, i)
    for (const slot of cadence.slots) {
      if (WEEKDAY_NAMES.indexOf(slot.weekday) !== date.weekday) continue
      const [hour, minute] = slot.time.split(':').map(Number)
      const instant = fromLocal(cadence.timeZone, { ...date, hour, minute })
      if (instant > from && instant <= to) instants.push(instant)
    }
  }
  return [...new Set(instants)].sort((a, b) => a - b)
}
