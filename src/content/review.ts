import type { Payload } from 'payload'

import { sameId } from '../lib/ids'
import type { Account } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'
import { movesFor, type ReviewPolicy, type WorkflowStatus } from '../workflow/transitions'
import { beingGenerated } from './generating'
import { getContent, type ContentCollection, type ContentItem } from './library'

/** The review decisions a customer takes on content; other moves belong to staff or the system. */
export const REVIEW_MOVES = ['in_review', 'approved', 'changes_requested', 'archived'] as const
export type ReviewMove = (typeof REVIEW_MOVES)[number]

/**
 * The review moves this account may make on the item now, straight from the transition table;
 * none while the AI is writing the article (the pipeline moves it when the text is ready).
 */
export async function reviewMovesFor(
  payload: Payload,
  account: Account,
  item: ContentItem,
): Promise<ReviewMove[]> {
  const project = await getProject(
    payload,
    account,
    Number(typeof item.project === 'object' ? item.project.id : item.project),
  )
  const actor = sameId(project.account, account.id)
    ? ({ kind: 'owner' } as const)
    : ({ kind: 'other' } as const)
  const allowed = movesFor(
    item.workflowStatus as WorkflowStatus,
    actor,
    project.reviewPolicy as ReviewPolicy,
  )
  if (allowed.length > 0 && 'generation' in item && (await beingGenerated(item))) return []
  return REVIEW_MOVES.filter((move) => allowed.includes(move))
}

/**
 * Moves an item as the account. The collection's hooks enforce the transition table and record
 * the event, exactly as for the admin and REST; a refused move throws their translated AppError.
 */
export async function moveContent(
  payload: Payload,
  account: Account,
  collection: ContentCollection,
  id: number,
  to: ReviewMove,
  note?: string,
): Promise<ContentItem> {
  await getContent(payload, account, collection, id)
  return payload.update({
    collection,
    id,
    data: { workflowStatus: to, ...(note ? { reviewNote: note } : {}) },
    depth: 0,
    ...actingAs(account),
  })
}
