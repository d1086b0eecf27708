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

/** Approved content not yet out anywhere, and content already out on another channel. */
const NOT_YET_OUT = PUBLISHABLE_STATUSES.filter((status) => status !== 'published')
const ALREADY_OUT = PUBLISHABLE_STATUSES.filter((status) => status === 'published')
/** Items fetched per kind and tier in one run; more than the slots of one run's horizon. */
const CANDIDATES_PER_QUERY = 50

/**
 * The next publishable items for a connection that it has not had yet: articles for WordPress,
 * posts that carry a text for that platform elsewhere, narrowed by what the schedule publishes.
 * Content not yet out anywhere comes first, oldest approval first; content already out on
 * another channel fills the slots left over, so a channel added later gets the backlog without
 * holding up anything new. What the connection already had is left out in the query itself, so
 * a long history never crowds the new items out of the page.
 */
async function candidates(payload: Payload, schedule: Schedule, connection: Connection): Promise<Candidate[]> {
  const project = idOf(schedule.project)
  const wantArticles = schedule.contentKind !== 'posts' && connection.platform === 'wordpress'
  const wantPosts = schedule.contentKind !== 'articles' && connection.platform !== 'wordpress'
  if (!wantArticles && !wantPosts) return []
  const { docs: had } = await payload.find({
    collection: 'publications',
    where: { connection: { equals: connection.id } },
    pagination: false,
    depth: 0,
    overrideAccess: true,
    select: { article: true, post: true },
  })
  const hadArticles = had.flatMap((p) => (p.article ? [idOf(p.article) as number] : []))
  const hadPosts = had.flatMap((p) => (p.post ? [idOf(p.post) as number] : []))

  const pick = async (collection: 'articles' | 'posts', statuses: typeof PUBLISHABLE_STATUSES, exclude: number[]) => {
    const { docs } = await payload.find({
      collection,
      where: {
        project: { equals: project },
        workflowStatus: { in: statuses },
        ...(exclude.length > 0 ? { id: { not_in: exclude } } : {}),
        ...(collection === 'posts' ? { 'variants.platform': { equals: connection.platform } } : {}),
      },
      sort: 'submittedAt',
      limit: CANDIDATES_PER_QUERY,
      depth: 0,
      overrideAccess: true,
      select: { submittedAt: true, createdAt: true },
    })
    return docs.map((d) => ({ collection, id: d.id, order: d.submittedAt ?? d.createdAt }))
  }
  const queue: Candidate[] = []
  for (const statuses of [NOT_YET_OUT, ALREADY_OUT]) {
    const tier = [
      ...(wantArticles ? await pick('articles', statuses, hadArticles) : []),
      ...(wantPosts ? await pick('posts', statuses, hadPosts) : []),
    ]
    queue.push(...tier.sort((a, b) => a.order.localeCompare(b.order)))
  }
  return queue
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
