import type { PaginatedDocs, Payload } from 'payload'

import type { Account, Project } from '../payload-types'
import { actingAs } from './actingAs'
import { ProjectInput, ProjectPatch } from './schema'

/** Empty strings clear optional fields; Payload stores null for "not set". */
function toData<T extends Record<string, unknown>>(input: T) {
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => [key, value === '' ? null : value]),
  )
}

export async function listProjects(
  payload: Payload,
  account: Account,
  { page = 1, limit = 5 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<Project>> {
  return payload.find({
    collection: 'projects',
    page,
    limit,
    sort: '-updatedAt',
    depth: 0,
    ...actingAs(account),
  })
}

/**
 * Throws Payload's NotFound for a project that does not exist or is another account's. Writes
 * read first, so a foreign id is "not found" everywhere rather than sometimes "forbidden".
 */
export async function getProject(payload: Payload, account: Account, id: number): Promise<Project> {
  return payload.findByID({ collection: 'projects', id, depth: 0, ...actingAs(account) })
}

export async function createProject(
  payload: Payload,
  account: Account,
  input: ProjectInput,
): Promise<Project> {
  const data = ProjectInput.parse(input)
  return payload.create({
    collection: 'projects',
    data: { ...toData(data), language: data.language ?? account.language } as Omit<
      Project,
      'id' | 'createdAt' | 'updatedAt' | 'account' | 'reviewPolicy'
    > as never,
    depth: 0,
    ...actingAs(account),
  })
}

export async function updateProject(
  payload: Payload,
  account: Account,
  id: number,
  patch: ProjectPatch,
): Promise<Project> {
  const data = ProjectPatch.parse(patch)
  await getProject(payload, account, id)
  return payload.update({
    collection: 'projects',
    id,
    data: toData(data),
    depth: 0,
    ...actingAs(account),
  })
}

/** Deletes the project and, through the collection's hook, everything that hangs off it. */
export async function deleteProject(payload: Payload, account: Account, id: number): Promise<void> {
  await getProject(payload, account, id)
  await payload.delete({ collection: 'projects', id, depth: 0, ...actingAs(account) })
}
