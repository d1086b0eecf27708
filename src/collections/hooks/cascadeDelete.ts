import type { CollectionBeforeDeleteHook, CollectionSlug } from 'payload'

/** What hangs off a project, in an order that respects the references between them. */
const PROJECT_CHILDREN: CollectionSlug[] = [
  'publications',
  'schedules',
  'workflow-events',
  'posts',
  'articles',
  'keywords',
  'connections',
  'media',
]

/**
 * Deleting a project deletes its content, connections and history in the same transaction
 * (the columns are NOT NULL, so the database would otherwise refuse with an opaque error).
 */
export const deleteProjectContent: CollectionBeforeDeleteHook = async ({ id, req }) => {
  for (const collection of PROJECT_CHILDREN) {
    await req.payload.delete({ collection, where: { project: { equals: id } }, req, overrideAccess: true })
  }
}

/** Deleting an account deletes its projects (and through them everything else). */
export const deleteAccountProjects: CollectionBeforeDeleteHook = async ({ id, req }) => {
  await req.payload.delete({ collection: 'projects', where: { account: { equals: id } }, req, overrideAccess: true })
}
