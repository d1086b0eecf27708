import type { PaginatedDocs, Payload } from 'payload'
import { z } from 'zod'

import type { Account, Project, Publication, Schedule } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'
import { slotInstants, WEEKDAY_NAMES, type Cadence, type Weekday } from '../scheduling/slots'

/** A project's schedules; the project as the caller already read it as this account. */
export async function listSchedules(
  payload: Payload,
  account: Account,
  project: Project,
): Promise<Schedule[]> {
  const { docs } = await payload.find({
    collection: 'schedules',
    where: { project: { equals: project.id } },
    sort: 'name',
    limit: 20,
    depth: 0,
    ...actingAs(account),
  })
  return docs
}

export async function getSchedule(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Schedule> {
  return payload.findByID({
    collection: 'schedules',
    id,
    depth: 0,
    ...actingAs(account),
  })
}

/** Pause or resume: a paused schedule keeps its slots and produces no new publications. */
export async function setScheduleActive(
  payload: Payload,
  account: Account,
  id: number,
  active: boolean,
): Promise<Schedule> {
  await getSchedule(payload, account, id)
  return payload.update({
    collection: 'schedules',
    id,
    data: { active },
    depth: 0,
    ...actingAs(account),
  })
}

/** Publications still waiting to go out, soonest first, with their connection and content. */
export async function listUpcoming(
  payload: Payload,
  account: Account,
  project: Project,
  { page = 1, limit = 5 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<Publication>> {
  return payload.find({
    collection: 'publications',
    where: { project: { equals: project.id }, status: { equals: 'queued' } },
    sort: 'plannedAt',
    page,
    limit,
    depth: 1,
    ...actingAs(account),
  })
}

export async function getPublication(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Publication> {
  return payload.findByID({
    collection: 'publications',
    id,
    depth: 1,
    ...actingAs(account),
  })
}

/** A customer may cancel a queued publication; the collection's hook refuses anything else. */
export async function cancelPublication(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Publication> {
  await getPublication(payload, account, id)
  return payload.update({
    collection: 'publications',
    id,
    data: { status: 'cancelled' },
    depth: 0,
    ...actingAs(account),
  })
}

/**
 * Sends a failed publication again, as the customer: the collection's hooks allow only
 * failed → queued, restart its attempts and queue the publish job.
 */
export async function retryPublication(
  payload: Payload,
  account: Account,
  id: number,
): Promise<Publication> {
  await getPublication(payload, account, id)
  return payload.update({
    collection: 'publications',
    id,
    data: { status: 'queued' },
    depth: 0,
    ...actingAs(account),
  })
}

/** Weekday words a customer may type, Russian and English, short and long. */
const WEEKDAY_WORDS: Record<string, Weekday[]> = {
  пн: ['mon'],
  понедельник: ['mon'],
  mon: ['mon'],
  monday: ['mon'],
  вт: ['tue'],
  вторник: ['tue'],
  tue: ['tue'],
  tuesday: ['tue'],
  ср: ['wed'],
  среда: ['wed'],
  wed: ['wed'],
  wednesday: ['wed'],
  чт: ['thu'],
  четверг: ['thu'],
  thu: ['thu'],
  thursday: ['thu'],
  пт: ['fri'],
  пятница: ['fri'],
  fri: ['fri'],
  friday: ['fri'],
  сб: ['sat'],
  суббота: ['sat'],
  sat: ['sat'],
  saturday: ['sat'],
  вс: ['sun'],
  воскресенье: ['sun'],
  sun: ['sun'],
  sunday: ['sun'],
  будни: ['mon', 'tue', 'wed', 'thu', 'fri'],
  weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  выходные: ['sat', 'sun'],
  weekends: ['sat', 'sun'],
  ежедневно: [...WEEKDAY_NAMES],
  daily: [...WEEKDAY_NAMES],
}

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

/**
 * Weekly slots as a customer types them: "пн ср пт 10:00, 18:30", "mon-fri 9:00",
 * "будни 10:00; сб 12:00". Groups are separated by ";" or new lines; a group without weekdays
 * means every day. Times are wall-clock HH:MM in the project's zone.
 */
export function parseSlotsText(text: string): SlotsParse {
  const slots = new Map<string, Slot>()
  const groups = text
    .toLowerCase()
    .split(/[;\n]+/)
    .map((group) => group.trim())
    .filter(Boolean)
  if (groups.length === 0) return { ok: false, error: 'slots_empty' }
  for (const group of groups) {
    const days = new Set<Weekday>()
    const times: string[] = []
    for (const token of group.split(/[\s,]+/).filter(Boolean)) {
      const time = token.match(/^(\d{1,2})[:.](\d{2})$/)
      if (time) {
        const [hour, minute] = [Number(time[1]), Number(time[2])]
        if (hour > 23 || minute > 59) return { ok: false, error: 'slots_time', token }
        times.push(`${String(hour).padStart(2, '0')}:${time[2]}`)
        continue
      }
      if (/^\d/.test(token)) return { ok: false, error: 'slots_time', token }
      const found = weekdaysOf(token.replace(/\.$/, ''))
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

const ScheduleFields = z.object({
  name: z.string().trim().min(1).max(120),
  connections: z.array(z.number().int().positive()).min(1).max(20),
  contentKind: z.enum(['articles', 'posts', 'both']),
  cadence: z.enum(['slots', 'interval']),
  slots: z
    .array(
      z.object({
        weekday: z.enum(WEEKDAY_NAMES),
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
      }),
    )
    .max(100)
    .optional(),
  intervalMinutes: z
    .number()
    .int()
    .min(60)
    .max(60 * 24 * 30)
    .optional(),
  startsAt: z.iso.datetime().optional(),
})

const cadenceComplete = (v: { cadence: string; slots?: unknown[]; intervalMinutes?: number }) =>
  v.cadence === 'slots' ? (v.slots?.length ?? 0) > 0 : !!v.intervalMinutes

export const ScheduleInput = ScheduleFields.refine(cadenceComplete, {
  message: 'cadence incomplete',
})
export type ScheduleInput = z.infer<typeof ScheduleInput>

export type CadencePatch = Pick<ScheduleInput, 'cadence' | 'slots' | 'intervalMinutes' | 'startsAt'>

/** The next `count` instants a schedule would fill, for showing before it is saved. */
export function upcomingInstants(
  input: CadencePatch,
  timeZone: string,
  { count = 3, now = Date.now() }: { count?: number; now?: number } = {},
): number[] {
  const startsAt = input.startsAt ? Date.parse(input.startsAt) : null
  const cadence: Cadence =
    input.cadence === 'interval'
      ? {
          kind: 'interval',
          minutes: input.intervalMinutes ?? 60,
          anchor: startsAt ?? now,
        }
      : { kind: 'slots', timeZone, slots: input.slots ?? [] }
  const after = Math.max(now, (startsAt ?? now) - 1)
  return slotInstants(cadence, {
    after,
    until: after + 62 * 86_400_000,
    startsAt,
  }).slice(0, count)
}

/**
 * A schedule made by the customer, as the account: the collection checks that every connection
 * is in the same project and that the cadence is complete.
 */
export async function createSchedule(
  payload: Payload,
  account: Account,
  projectId: number,
  input: ScheduleInput,
): Promise<Schedule> {
  const data = ScheduleInput.parse(input)
  await getProject(payload, account, projectId)
  return payload.create({
    collection: 'schedules',
    data: { ...data, project: projectId, active: true } as never,
    depth: 0,
    ...actingAs(account),
  })
}

/** New times (or a new interval) for an existing schedule; the rest stays. */
export async function updateScheduleCadence(
  payload: Payload,
  account: Account,
  id: number,
  patch: CadencePatch,
): Promise<Schedule> {
  await getSchedule(payload, account, id)
  const data = ScheduleFields.pick({
    cadence: true,
    slots: true,
    intervalMinutes: true,
    startsAt: true,
  })
    .refine(cadenceComplete)
    .parse(patch)
  return payload.update({
    collection: 'schedules',
    id,
    data: {
      ...data,
      slots: data.cadence === 'slots' ? data.slots : [],
      intervalMinutes: data.cadence === 'interval' ? data.intervalMinutes : null,
    },
    depth: 0,
    ...actingAs(account),
  })
}

/** Deletes a schedule; what it already queued stays queued (each can be cancelled on its own). */
export async function deleteSchedule(payload: Payload, account: Account, id: number) {
  const schedule = await getSchedule(payload, account, id)
  await payload.delete({
    collection: 'schedules',
    id,
    depth: 0,
    ...actingAs(account),
  })
  return schedule
}
