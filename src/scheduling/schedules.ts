import type { Payload } from 'payload'
import { z } from 'zod'

import type { Account, Project, Schedule } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'
import { slotInstants, WEEKDAY_NAMES, type Cadence } from './slots'

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

/** Whether the project has active schedules and approved content: why its queue may be empty. */
export async function queueReadiness(
  payload: Payload,
  account: Account,
  project: Project,
): Promise<{ activeSchedules: number; approved: number }> {
  const scope = { project: { equals: project.id } }
  const approved = { ...scope, workflowStatus: { equals: 'approved' } }
  const [schedules, articles, posts] = await Promise.all([
    payload.count({ collection: 'schedules', where: { ...scope, active: { equals: true } }, ...actingAs(account) }),
    payload.count({ collection: 'articles', where: approved, ...actingAs(account) }),
    payload.count({ collection: 'posts', where: approved, ...actingAs(account) }),
  ])
  return { activeSchedules: schedules.totalDocs, approved: articles.totalDocs + posts.totalDocs }
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
