import { sql } from '@payloadcms/db-postgres'
import type { CollectionAfterChangeHook, CollectionBeforeChangeHook, PayloadRequest } from 'payload'

import { actorOf } from '../../access/actors'
import { t } from '../../i18n'
import { languageOf } from '../../i18n/request'
import { AppError } from '../../http/errors'
import { idOf } from '../../lib/ids'
import type { Publication } from '../../payload-types'
import { SYSTEM_CONTEXT } from '../../workflow/hooks'

/** The update's own transaction, so a row lock taken here lasts until the write commits. */
async function transactionOf(req: PayloadRequest) {
  const db = req.payload.db as unknown as { drizzle: typeof req.payload.db.drizzle; sessions?: Record<string, { db: typeof req.payload.db.drizzle }> }
  const id = req.transactionID ? await req.transactionID : undefined
  return (id !== undefined && db.sessions?.[String(id)]?.db) || db.drizzle
}

function who(req: PayloadRequest): string {
  const actor = actorOf(req)
  if (actor.kind === 'staff') return `staff ${(req.user as { email?: string }).email ?? `#${actor.id}`}`
  if (actor.kind === 'account') return `customer (account ${actor.id})`
  return 'system'
}

/**
 * A person settles an unconfirmed publication (it is published; send it again; or staff's
 * other choices): exactly once, and never over a lookup that settled it meanwhile. The row is
 * locked in the update's transaction and its status read again, so "publish again" cannot undo
 * a confirmation made a moment earlier (which would send a second copy). Who decided goes into
 * the history; "it is published" clears the reason, as a confirmation by lookup does.
 */
export const decideUnconfirmed: CollectionBeforeChangeHook<Publication> = async ({ data, originalDoc, operation, req }) => {
  if (operation !== 'update' || originalDoc?.status !== 'unconfirmed' || !data.status || data.status === 'unconfirmed') return data
  const db = await transactionOf(req)
  const result = await db.execute(sql`select status from publications where id = ${originalDoc.id} for update`)
  const status = (result.rows[0] as { status?: string } | undefined)?.status
  const language = languageOf(req)
  if (status !== 'unconfirmed') throw new AppError('publication.already_settled', 409, language, { status: t(language, `publication.status.${status}`) })
  const key = data.status === 'published' ? 'publication.marked_published' : data.status === 'queued' ? 'publication.sent_again' : 'publication.decided'
  const entry = { at: new Date().toISOString(), status: data.status, message: t(language, key, { who: who(req), status: data.status }) }
  return {
    ...data,
    history: [...(originalDoc.history ?? []), entry],
    ...(data.status === 'published' ? { lastError: null } : {}),
  }
}

/** Content follows a publication a person marked published, as it follows one we published. */
export const contentFollowsDecision: CollectionAfterChangeHook<Publication> = async ({ doc, previousDoc, operation, req }) => {
  if (operation !== 'update' || previousDoc?.status !== 'unconfirmed' || doc.status !== 'published') return doc
  const collection = doc.article ? 'articles' : 'posts'
  const id = idOf(doc.article ?? doc.post)
  const content = await req.payload.findByID({ collection, id: id!, depth: 0, req, overrideAccess: true })
  if (content.workflowStatus !== 'published') {
    await req.payload.update({ collection, id: id!, data: { workflowStatus: 'published' }, req, context: SYSTEM_CONTEXT, overrideAccess: true })
  }
  return doc
}
