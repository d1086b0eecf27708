import type {
  CollectionAfterChangeHook,
  CollectionBeforeChangeHook,
  CollectionBeforeDeleteHook,
  CollectionSlug,
  PayloadRequest,
  TypeWithID,
} from 'payload'

import { actorOf } from '../access/actors'
import { documentsUsing } from '../collections/hooks/ownedReferences'
import { t } from '../i18n'
import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import { idOf, sameId } from '../lib/ids'
import type { Article, Post } from '../payload-types'
import { notice } from '../notify'
import {
  CREATE_STATUSES,
  LOCKED_STATUSES,
  checkMove,
  type ReviewPolicy,
  type WorkflowActor,
  type WorkflowStatus,
} from './transitions'

export type WorkflowCollection = 'articles' | 'posts'

/**
 * Jobs and services acting for nobody in particular pass this in the Local API context. A Local
 * API write with no user at all is trusted server code too: every HTTP face requires a user to
 * pass the collections' access rules before a hook ever runs.
 */
export const SYSTEM_CONTEXT = { systemActor: true } as const

type PendingEvent = { from: WorkflowStatus; to: WorkflowStatus; actor: WorkflowActor; note?: string }

/** An article or a post: the documents the review gate governs. */
export type WorkflowDoc = Article | Post

/** Content fields of `T` whose change counts as an edit; `relation` marks relationship fields. */
export type ContentField<T extends WorkflowDoc> = { name: keyof T & string; relation?: boolean }

/** A field of a document read by a name known only at run time (from the config or a list). */
function fieldOf(doc: object | null | undefined, name: string): unknown {
  return doc ? (doc as Record<string, unknown>)[name] : undefined
}

function workflowActor(req: PayloadRequest, projectAccount: unknown): WorkflowActor {
  if (req.context?.systemActor === true || !req.user) return { kind: 'system' }
  const actor = actorOf(req)
  if (actor.kind === 'staff') {
    return actor.roles.includes('admin') || actor.roles.includes('editor') ? { kind: 'editor' } : { kind: 'other' }
  }
  if (actor.kind === 'account' && sameId(actor.id, projectAccount)) return { kind: 'owner' }
  return { kind: 'other' }
}

function comparable(value: unknown, relation: boolean): unknown {
  if (relation) return Array.isArray(value) ? value.map((v) => String(idOf(v))) : String(idOf(value) ?? null)
  if (Array.isArray(value)) return value.map((v) => comparable(v, false))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => key !== 'id')
        .map(([key, v]) => [key, comparable(v, false)]),
    )
  }
  return value ?? null
}

function contentChanged(fields: { name: string; relation?: boolean }[], data: object, original: object | undefined) {
  return fields.some(
    ({ name, relation = false }) =>
      name in data &&
      JSON.stringify(comparable(fieldOf(data, name), relation)) !== JSON.stringify(comparable(fieldOf(original, name), relation)),
  )
}

function pendingKey(collection: string, id: unknown) {
  return `workflow:${collection}:${id ?? 'new'}`
}

/** Why a move was made, for the trail, when a hook (not a person's note) made it. */
function reasonKey(collection: string, id: unknown) {
  return `workflow-reason:${collection}:${id}`
}

/**
 * Enforces the transition table on every write, whatever the face, and sends edited approved,
 * scheduled or published content back to review (unless the project approves automatically). The moves it allowed are recorded by `recordWorkflowEvents`.
 */
export function enforceWorkflow<T extends WorkflowDoc>(collection: WorkflowCollection, fields: ContentField<T>[]): CollectionBeforeChangeHook<T> {
  const hook: CollectionBeforeChangeHook<WorkflowDoc> = async ({ data, originalDoc, operation, req }) => {
    const projectId = idOf(data.project ?? originalDoc?.project)
    const project = projectId
      ? await req.payload.findByID({ collection: 'projects', id: projectId, depth: 0, req, overrideAccess: true })
      : null
    const policy = (project?.reviewPolicy ?? 'staff') as ReviewPolicy
    const actor = workflowActor(req, project?.account)
    const language = languageOf(req)
    const events: PendingEvent[] = []

    // Only an update has a stored document, and its status is where the move starts.
    const stored = operation === 'update' ? originalDoc : undefined
    const from: WorkflowStatus = stored?.workflowStatus ?? 'draft'
    let to: WorkflowStatus = data.workflowStatus ?? from
    if (operation === 'create' && !CREATE_STATUSES.includes(to)) {
      throw new AppError('workflow.create_status', 422, language)
    }
    const newNote =
      typeof data.reviewNote === 'string' && data.reviewNote.trim() !== '' && data.reviewNote !== originalDoc?.reviewNote
        ? data.reviewNote.trim()
        : undefined

    const reason = req.context[reasonKey(collection, originalDoc?.id)] as string | undefined
    delete req.context[reasonKey(collection, originalDoc?.id)]
    let note = newNote ?? reason
    if (
      operation === 'update' &&
      to === from &&
      LOCKED_STATUSES.includes(from) &&
      policy !== 'automatic' &&
      actor.kind !== 'system' &&
      contentChanged(fields, data, originalDoc)
    ) {
      to = 'in_review'
      note = newNote ?? t(language, 'workflow.edited_after_approval')
    }

    if (to !== from) {
      const check = checkMove(from, to, actor, policy)
      if (!check.ok && check.reason === 'illegal') {
        throw new AppError('workflow.illegal_move', 409, language, {
          from: t(language, `status.${from}`),
          to: t(language, `status.${to}`),
          allowed: check.allowed.map((s) => t(language, `status.${s}`)).join(', ') || t(language, 'none'),
        })
      }
      if (!check.ok) {
        throw new AppError('workflow.not_allowed', 403, language, {
          from: t(language, `status.${from}`),
          to: t(language, `status.${to}`),
          hint: check.reason === 'forbidden' ? t(language, `workflow.hint.${check.hint}`) : '',
        })
      }
      if (to === 'changes_requested' && !newNote) throw new AppError('workflow.note_required', 422, language)
      events.push({ from, to, actor, note })
    }

    if (to === 'in_review' && policy === 'automatic') {
      events.push({ from: 'in_review', to: 'approved', actor: { kind: 'system' }, note: t(language, 'workflow.auto_approved') })
      to = 'approved'
    }
    if (events.some((e) => e.to === 'in_review')) data.submittedAt = new Date().toISOString()
    data.workflowStatus = to

    if (events.length > 0) req.context[pendingKey(collection, originalDoc?.id)] = events
    return data
  }
  return hook
}

const WORKFLOW_COLLECTIONS: WorkflowCollection[] = ['articles', 'posts']

/**
 * Whatever is published must be what was approved, including what approved content points at:
 * every approved, scheduled or published article and post that uses the document goes back to review,
 * unless its project's policy is automatic. The using fields are found in the config, so a new
 * upload or relationship field on content is covered too.
 */
async function sendUsersBackToReview(req: PayloadRequest, slug: CollectionSlug, id: number | string) {
  const language = languageOf(req)
  const using = await documentsUsing(req, slug, id, {
    collections: WORKFLOW_COLLECTIONS,
    where: { workflowStatus: { in: LOCKED_STATUSES } },
  })
  const projectIds = [...new Set(using.flatMap(({ docs }) => docs.map((doc) => idOf(doc.project)!)))]
  if (projectIds.length === 0) return
  const { docs: automatic } = await req.payload.find({
    collection: 'projects',
    where: { and: [{ id: { in: projectIds } }, { reviewPolicy: { equals: 'automatic' } }] },
    depth: 0,
    pagination: false,
    select: { reviewPolicy: true },
    overrideAccess: true,
    req,
  })
  for (const { collection, docs } of using) {
    for (const content of docs) {
      if (automatic.some((project) => sameId(project.id, idOf(content.project)))) continue
      req.context[reasonKey(collection, content.id)] = t(language, 'workflow.dependency_changed', { what: `${slug} #${id}` })
      await req.payload.update({ collection: collection as WorkflowCollection, id: content.id as number, data: { workflowStatus: 'in_review' }, depth: 0, req, overrideAccess: true })
    }
  }
}

/**
 * A used document changed in anything that can reach a publication. Every field of the collection
 * counts (a keyword's cluster becomes the blog category, an image's alt text its caption), read
 * from the config so a field added later counts too; only `neutral` bookkeeping fields, which
 * nothing publishes, do not.
 */
export function reviewUsersOnChange<T extends TypeWithID>(neutral: (keyof T & string)[] = []): CollectionAfterChangeHook<T> {
  return async ({ collection, doc, previousDoc, operation, req }) => {
    if (operation !== 'update') return doc
    const ignored = new Set([...neutral, 'id', 'createdAt', 'updatedAt'])
    const fields = collection.flattenedFields.filter((f) => !ignored.has(f.name))
    const changed = fields.some((f) => {
      const relation = f.type === 'relationship' || f.type === 'upload'
      return JSON.stringify(comparable(fieldOf(doc, f.name), relation)) !== JSON.stringify(comparable(fieldOf(previousDoc, f.name), relation))
    })
    if (changed) await sendUsersBackToReview(req, collection.slug, doc.id)
    return doc
  }
}

/** A used document is deleted: approved content would silently lose an image or keyword. */
export const reviewUsersOnDelete: CollectionBeforeDeleteHook = async ({ collection, id, req }) => {
  await sendUsersBackToReview(req, collection.slug, id)
}

/** Writes who moved what, when, from where to where and why, in the same transaction. */
export function recordWorkflowEvents(collection: WorkflowCollection): CollectionAfterChangeHook<WorkflowDoc> {
  return async ({ doc, previousDoc, operation, req }) => {
    const key = pendingKey(collection, operation === 'create' ? undefined : previousDoc?.id)
    const events = req.context[key] as PendingEvent[] | undefined
    if (!events) return doc
    delete req.context[key]
    const actor = actorOf(req)
    for (const event of events) {
      const isSystem = event.actor.kind === 'system'
      await req.payload.create({
        collection: 'workflow-events',
        data: {
          document: { relationTo: collection, value: doc.id },
          project: idOf(doc.project) as number,
          account: idOf(doc.account) as number,
          from: event.from,
          to: event.to,
          actorKind: isSystem ? 'system' : actor.kind === 'staff' ? 'staff' : 'account',
          staffUser: !isSystem && actor.kind === 'staff' ? (actor.id as number) : undefined,
          actorAccount: !isSystem && actor.kind === 'account' ? (actor.id as number) : undefined,
          note: event.note,
        },
        req,
        overrideAccess: true,
      })
    }
    const verdicts = events.filter(
      (e) => e.actor.kind === 'editor' && (e.to === 'approved' || e.to === 'changes_requested'),
    )
    // Queued in the write's own transaction (the worker sends it): a write that rolls back
    // tells nobody, and Telegram never holds or fails the write.
    if (verdicts.length > 0) await noticeOwner(req, doc, verdicts.at(-1)!)
    return doc
  }
}

/**
 * Where staff review a project's content (reviewPolicy 'staff'), the owner hears in the bot, in
 * their language, that an editor approved an item or asked for changes (with the note).
 */
async function noticeOwner(
  req: PayloadRequest,
  doc: { title?: string | null; project: unknown; account: unknown },
  event: PendingEvent,
) {
  const project = await req.payload.findByID({
    collection: 'projects',
    id: idOf(doc.project)!,
    depth: 0,
    req,
    overrideAccess: true,
    disableErrors: true,
  })
  if (project?.reviewPolicy !== 'staff') return
  await notice(req, {
    accountId: Number(idOf(doc.account)),
    event: event.to === 'approved' ? 'review.approved' : 'review.changes_requested',
    data: { title: doc.title ?? '', note: event.note ?? '' },
  })
}
