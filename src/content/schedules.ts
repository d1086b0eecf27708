import type { PaginatedDocs, Payload } from 'payload'

import type { Account, Publication, Schedule } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'

export async function listSchedules(
  payload: Payload,
  account: Account,
  projectId: number,
): Promise<Schedule[]> {
  await getProject(payload, account, projectId)
  const { docs } = await payload.find({
    collection: 'schedules',
    where: { project: { equals: projectId } },
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
  return payload.findByID({ collection: 'schedules', id, depth: 0, ...actingAs(account) })
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
  projectId: number,
  { page = 1, limit = 5 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<Publication>> {
  await getProject(payload, account, projectId)
  return payload.find({
    collection: 'publications',
    where: { project: { equals: projectId }, status: { equals: 'queued' } },
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
  return payload.findByID({ collection: 'publications', id, depth: 1, ...actingAs(account) })
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
