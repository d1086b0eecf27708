import { WEEKDAY_NAMES, type Weekday } from './slots'
import { fromLocal, toLocal } from './zoned'

const WORKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri']
const EVERY_DAY: Weekday[] = [...WEEKDAY_NAMES]

/**
 * Weekday words a customer may type, Russian and English: short and long, the accusative of
 * "в субботу", the plural of "по субботам", and the words for every day.
 */
const WEEKDAY_WORDS: Record<string, Weekday[]> = {
  ...forms('mon', ['пн', 'пон', 'понедельник', 'понедельникам', 'понедельники', 'mon', 'monday', 'mondays']),
  ...forms('tue', ['вт', 'вторник', 'вторникам', 'вторники', 'tue', 'tues', 'tuesday', 'tuesdays']),
  ...forms('wed', ['ср', 'среда', 'среду', 'средам', 'среды', 'wed', 'wednesday', 'wednesdays']),
  ...forms('thu', ['чт', 'четверг', 'четвергам', 'четверги', 'thu', 'thur', 'thurs', 'thursday', 'thursdays']),
  ...forms('fri', ['пт', 'пятница', 'пятницу', 'пятницам', 'пятницы', 'fri', 'friday', 'fridays']),
  ...forms('sat', ['сб', 'суббота', 'субботу', 'субботам', 'субботы', 'sat', 'saturday', 'saturdays']),
  ...forms('sun', ['вс', 'воскресенье', 'воскресеньям', 'воскресенья', 'sun', 'sunday', 'sundays']),
  будни: WORKDAYS,
  будням: WORKDAYS,
  weekdays: WORKDAYS,
  выходные: ['sat', 'sun'],
  выходным: ['sat', 'sun'],
  weekends: ['sat', 'sun'],
  weekend: ['sat', 'sun'],
  ежедневно: EVERY_DAY,
  daily: EVERY_DAY,
  день: EVERY_DAY,
  дня: EVERY_DAY,
  day: EVERY_DAY,
  days: EVERY_DAY,
}

function forms(day: Weekday, words: string[]): Record<string, Weekday[]> {
  return Object.fromEntries(words.map((word) => [word, [day]]))
}

/** Words that join days and times in a sentence and carry no meaning of their own. */
const FILLERS = new Set(['в', 'во', 'по', 'и', 'каждый', 'каждую', 'каждое', 'каждые', 'at', 'on', 'and', 'every', 'each'])

export type Slot = { weekday: Weekday; time: string }
export type SlotsParse = { ok: true; slots: Slot[] } | { ok: false; error: string; token?: string }

function weekdaysOf(word: string): Weekday[] | null {
  const range = word.match(/^([^-–]+)[-–]([^-–]+)$/)
  if (range) {
    const from = WEEKDAY_WORDS[range[1]]
    const to = WEEKDAY_WORDS[range[2]]
    if (from?.length !== 1 || to?.length !== 1) return null
    const start = WEEKDAY_NAMES.indexOf(from[0])
    const end = WEEKDAY_NAMES.indexOf(to[0])
    const days: Weekday[] = []
    for (let i = start; ; i = (i + 1) % 7) {
      days.push(WEEKDAY_NAMES[i])
      if (i === end) break
    }
    return days
  }
  return WEEKDAY_WORDS[word] ?? null
}

/** "17:50", "9.30", "9" or "9ч" (a whole hour): HH:MM, null when it is not a time, 'bad' when out of range. */
function timeOf(token: string): string | null | 'bad' {
  const match = token.match(/^(\d{1,2})(?:[:.](\d{2}))?(?:ч|h)?$/)
  if (!match) return /^\d/.test(token) ? 'bad' : null
  const [hour, minute] = [Number(match[1]), Number(match[2] ?? 0)]
  if (hour > 23 || minute > 59) return 'bad'
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`
}

/**
 * Weekly slots as a customer types them: "пн ср пт 10:00, 18:30", "mon-fri 9:00", "будни 10:00;
 * сб 12:00", "суббота в 17:50", "каждый день в 9". Groups are separated by ";" or new lines; a
 * group without weekdays means every day. Times are wall-clock HH:MM in the project's zone.
 */
export function parseSlotsText(text: string): SlotsParse {
  const slots = new Map<string, Slot>()
  const groups = text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .split(/[;\n]+/)
    .map((group) => group.trim())
    .filter(Boolean)
  if (groups.length === 0) return { ok: false, error: 'slots_empty' }
  for (const group of groups) {
    const days = new Set<Weekday>()
    const times: string[] = []
    for (const token of group.split(/[\s,]+/).filter(Boolean)) {
      const word = token.replace(/\.$/, '')
      if (FILLERS.has(word)) continue
      const time = timeOf(word)
      if (time === 'bad') return { ok: false, error: 'slots_time', token }
      if (time) {
        times.push(time)
        continue
      }
      const found = weekdaysOf(word)
      if (!found) return { ok: false, error: 'slots_weekday', token }
      found.forEach((day) => days.add(day))
    }
    if (times.length === 0) return { ok: false, error: 'slots_no_time' }
    for (const day of days.size > 0 ? days : new Set(WEEKDAY_NAMES))
      for (const time of times) slots.set(`${day} ${time}`, { weekday: day, time })
  }
  if (slots.size > 100) return { ok: false, error: 'slots_too_many' }
  const order = (s: Slot) => `${WEEKDAY_NAMES.indexOf(s.weekday)} ${s.time}`
  return {
    ok: true,
    slots: [...slots.values()].sort((a, b) => order(a).localeCompare(order(b))),
  }
}

export type StartDateParse =
  | { ok: true; startsAt: string }
  | { ok: false; error: 'date_format' | 'date_past' | 'date_far' }

/**
 * A schedule's start date as a customer types it, 25.12.2026 or 2026-12-25: midnight of that day
 * in the project's zone. Empty means now (to the minute). Today or later, at most a year ahead.
 */
export function parseStartDate(text: string, timeZone: string, now = Date.now()): StartDateParse {
  const value = text.trim()
  if (value === '') return { ok: true, startsAt: new Date(Math.floor(now / 60_000) * 60_000).toISOString() }
  const match =
    value
      .match(/^(\d{1,2})\.(\d{1,2})\.(\d{4})$/)
      ?.slice(1)
      .reverse() ?? value.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/)?.slice(1)
  const [year, month, day] = (match ?? []).map(Number)
  const valid = match && month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 2000 && year <= 2100
  const instant = valid ? fromLocal(timeZone, { year, month, day, hour: 0, minute: 0 }) : NaN
  const local = valid ? toLocal(timeZone, instant) : null
  if (!local || local.day !== day || local.month !== month) return { ok: false, error: 'date_format' }
  const today = toLocal(timeZone, now)
  if (instant < fromLocal(timeZone, { ...today, hour: 0, minute: 0 })) return { ok: false, error: 'date_past' }
  if (instant > now + 366 * 86_400_000) return { ok: false, error: 'date_far' }
  return { ok: true, startsAt: new Date(instant).toISOString() }
}
