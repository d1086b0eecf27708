import type { Payload } from 'payload'

import { isUniqueViolation } from '../lib/dbErrors'
import { logger } from '../lib/logger'
import { idOf } from '../lib/ids'
import type { Connection, Schedule } from '../payload-types'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { PUBLISHABLE_STATUSES } from '../workflow/transitions'
import { slotInstants, type Cadence } from './slots'

type Candidate = { collection: 'articles' | 'posts'; id: number; order: string }

function cadenceOf(schedule: Schedule, timeZone: string): Cadence | null {
  if (schedule.cadence === 'interval') {
    if (!schedule.intervalMinutes) return null
    return { kind: 'interval', minutes: schedule.intervalMinutes, anchor: new Date(schedule.startsAt ?? schedule.createdAt).getTime() }
  }
  return { kind: 'slots', timeZone, slots: (schedule.slots ?? []).map((s) => ({ weekday: s.weekday, time: s.time })) }
}

/**
 * The next publishable items for a connection that it has not had yet, oldest approval first:
 * articles for WordPress, posts that carry a text for that platform elsewhere, narrowed by what
 * the schedule publishes. An item already out on another channel still comes to this one.
 */
async function candidates(payload: Payload, schedule: Schedule, connection: Connection): Promise<Candidate[]> {
  const project = idOf(schedule.project)
  const wantArticles = schedule.contentKind !== 'posts' && connection.platform === 'wordpress'
  const wantPosts = schedule.contentKind !== 'articles' && connection.platform !== 'wordpress'
  const found: Candidate[] = []
  if (wantArticles) {
    const { docs } = await payload.find({
      collection: 'articles',
      where: { project: { equals: project }, workflowStatus: { in: PUBLISHABLE_STATUSES } },
      sort: 'submittedAt',
      limit: 50,
      depth: 0,
      overrideAccess: true,
    })
    found.push(...docs.map((d) => ({ collection: 'articles' as const, id: d.id, order: d.submittedAt ?? d.createdAt })))
  }
  if (wantPosts) {
    const { docs } = await payload.find({
      collection: 'posts',
      where: { project: { equals: project }, workflowStatus: { in: PUBLISHABLE_STATUSES }, 'variants.platform': { equals: connection.platform } },
      sort: 'submittedAt',
      limit: 50,
      depth: 0,
      overrideAccess: true,
    })
    found.push(...docs.map((d) => ({ collection: 'posts' as const, id: d.id, order: d.submittedAt ?? d.createdAt })))
  }
  if (found.length === 0) return []
  const keys = found.map((c) => `${c.collection === 'articles' ? 'article' : 'post'}:${c.id}:${connection.id}`)
  const { docs: taken } = await payload.find({
    collection: 'publications',
    where: { dedupeKey: { in: keys } },
    limit: keys.length,
    depth: 0,
    overrideAccess: true,
    select: { dedupeKey: true },
  })
  const used = new Set(taken.map((p) => p.dedupeKey))
  return found.filter((_, i) => !used.has(keys[i])).sort((a, b) => a.order.localeCompare(b.order))
}

export type MaterializeOptions = {
  now?: number
  horizonMs?: number
  /** Only these projects' schedules (a test's or a staff action's scope); all projects when absent. */
  projectIds?: number[]
}

/**
 * Fills the schedule slots of the coming `horizonMs` with the next approved content: one
 * publication per slot and connection (a unique slot key makes concurrent runs harmless), the
 * item moved to `scheduled`, and a publish job due at the slot's instant (added by the collection
 * in the publication's own transaction, so a publication never exists without its job).
 */
export async function materializeSchedules(
  payload: Payload,
  { now = Date.now(), horizonMs = 48 * 3600_000, projectIds }: MaterializeOptions = {},
): Promise<{ created: number; unfilled: number }> {
  const log = logger().child({ task: 'schedules.materialize' })
  let created = 0
  let unfilled = 0
  const { docs: schedules } = await payload.find({
    collection: 'schedules',
    where: { active: { equals: true }, ...(projectIds ? { project: { in: projectIds } } : {}) },
    limit: 1000,
    depth: 0,
    overrideAccess: true,
  })
  for (const schedule of schedules) {
    const project = await payload.findByID({ collection: 'projects', id: idOf(schedule.project)!, depth: 0, overrideAccess: true })
    const cadence = cadenceOf(schedule, project.timezone)
    if (!cadence) continue
    const instants = slotInstants(cadence, {
      after: now,
      until: now + horizonMs,
      startsAt: schedule.startsAt ? new Date(schedule.startsAt).getTime() : null,
      endsAt: schedule.endsAt ? new Date(schedule.endsAt).getTime() : null,
    })
    if (instants.length === 0) continue
    const { docs: connections } = await payload.find({
      collection: 'connections',
      where: { id: { in: (schedule.connections ?? []).map(idOf) }, status: { equals: 'active' } },
      depth: 0,
      overrideAccess: true,
    })
    for (const connection of connections) {
      const slotKeys = instants.map((t) => `${schedule.id}:${connection.id}:${new Date(t).toISOString()}`)
      const { docs: filled } = await payload.find({
        collection: 'publications',
        where: { slotKey: { in: slotKeys } },
        limit: slotKeys.length,
        depth: 0,
        overrideAccess: true,
        select: { slotKey: true },
      })
      const open = instants.filter((_, i) => !filled.some((p) => p.slotKey === slotKeys[i]))
      if (open.length === 0) continue
      const queue = await candidates(payload, schedule, connection)
      for (const instant of open) {
        const next = queue.shift()
        if (!next) {
          unfilled += 1
          continue
        }
        const plannedAt = new Date(instant).toISOString()
        try {
          // Creating the publication also moves approved content to `scheduled` and queues its
          // publish job at its instant, in the same transaction (collection hooks).
          await payload.create({
            collection: 'publications',
            context: SYSTEM_CONTEXT,
            overrideAccess: true,
            data: {
              project: project.id,
              account: idOf(project.account) as number,
              connection: connection.id,
              schedule: schedule.id,
              [next.collection === 'articles' ? 'article' : 'post']: next.id,
              plannedAt,
              slotKey: `${schedule.id}:${connection.id}:${plannedAt}`,
              status: 'queued',
            },
          })
          created += 1
        } catch (error) {
          if (!isUniqueViolation(error)) throw error
          log.debug({ schedule: schedule.id, connection: connection.id, plannedAt }, 'slot filled concurrently')
        }
      }
    }
  }
  if (created || unfilled) log.info({ created, unfilled }, 'schedules materialised')
  return { created, unfilled }
}
