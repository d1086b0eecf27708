/**
 * The review gate: the one table of allowed moves between workflow statuses, and who may make
 * each. Every face (admin, REST, GraphQL, bot, jobs) reaches it through the collection hooks.
 */
export const WORKFLOW_STATUSES = [
  'draft',
  'in_review',
  'changes_requested',
  'approved',
  'scheduled',
  'published',
  'failed',
  'archived',
] as const
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number]

export const REVIEW_POLICIES = ['staff', 'owner', 'automatic'] as const
export type ReviewPolicy = (typeof REVIEW_POLICIES)[number]

/**
 * - editor: staff with the admin or editor role
 * - owner: the account that owns the project
 * - approver: an editor always; the owner when the project's policy is `owner` or `automatic`
 * - system: jobs and services acting with no person (publishing, automatic approval)
 */
export type Party = 'editor' | 'owner' | 'approver' | 'system'

export type WorkflowActor =
  | { kind: 'editor' }
  | { kind: 'owner' }
  | { kind: 'system' }
  | { kind: 'other' }

const AUTHORS: Party[] = ['editor', 'owner', 'system']

export const TRANSITIONS: ReadonlyArray<{ from: WorkflowStatus; to: WorkflowStatus; by: Party[] }> = [
  { from: 'draft', to: 'in_review', by: AUTHORS },
  { from: 'changes_requested', to: 'in_review', by: AUTHORS },
  { from: 'in_review', to: 'approved', by: ['approver'] },
  { from: 'in_review', to: 'changes_requested', by: ['approver'] },
  { from: 'in_review', to: 'draft', by: ['editor', 'owner'] },
  { from: 'approved', to: 'in_review', by: AUTHORS },
  { from: 'approved', to: 'scheduled', by: AUTHORS },
  { from: 'scheduled', to: 'approved', by: AUTHORS },
  { from: 'scheduled', to: 'in_review', by: AUTHORS },
  { from: 'scheduled', to: 'published', by: ['system'] },
  { from: 'scheduled', to: 'failed', by: ['system'] },
  { from: 'published', to: 'in_review', by: AUTHORS },
  { from: 'failed', to: 'scheduled', by: AUTHORS },
  { from: 'failed', to: 'in_review', by: ['editor', 'owner'] },
  { from: 'draft', to: 'archived', by: ['editor', 'owner'] },
  { from: 'changes_requested', to: 'archived', by: ['editor', 'owner'] },
  { from: 'approved', to: 'archived', by: ['editor', 'owner'] },
  { from: 'published', to: 'archived', by: ['editor', 'owner'] },
  { from: 'failed', to: 'archived', by: ['editor', 'owner'] },
  { from: 'archived', to: 'draft', by: ['editor', 'owner'] },
]

/** Statuses a new item may be created in; `in_review` counts as a move from `draft`. */
export const CREATE_STATUSES: WorkflowStatus[] = ['draft', 'in_review']

/**
 * Statuses whose stored content is exactly what was last approved, the one definition of
 * "publishable": the only content a publication may be planned for (by a schedule, staff or the
 * API), sent by the publish job or sent again. Published content counts: it may still be due on
 * another channel (each item goes to each connection once), and any edit of it went back to review.
 */
export const PUBLISHABLE_STATUSES: WorkflowStatus[] = ['approved', 'scheduled', 'published']

/**
 * Statuses in which an edit of the content itself sends it back to review: the publishable ones,
 * so whatever is sent, now or by a later "publish again", is what was approved.
 */
export const LOCKED_STATUSES: WorkflowStatus[] = PUBLISHABLE_STATUSES

function partyMatches(party: Party, actor: WorkflowActor, policy: ReviewPolicy): boolean {
  switch (party) {
    case 'editor':
      return actor.kind === 'editor'
    case 'owner':
      return actor.kind === 'owner'
    case 'system':
      return actor.kind === 'system'
    case 'approver':
      return (
        actor.kind === 'editor' ||
        (actor.kind === 'owner' && policy !== 'staff') ||
        (actor.kind === 'system' && policy === 'automatic')
      )
  }
}

export type MoveCheck =
  | { ok: true }
  | { ok: false; reason: 'illegal'; allowed: WorkflowStatus[] }
  | { ok: false; reason: 'forbidden'; hint: 'approver_staff' | 'system_only' | 'none' }

export function checkMove(
  from: WorkflowStatus,
  to: WorkflowStatus,
  actor: WorkflowActor,
  policy: ReviewPolicy,
): MoveCheck {
  const edge = TRANSITIONS.find((t) => t.from === from && t.to === to)
  if (!edge) {
    return { ok: false, reason: 'illegal', allowed: TRANSITIONS.filter((t) => t.from === from).map((t) => t.to) }
  }
  if (edge.by.some((party) => partyMatches(party, actor, policy))) return { ok: true }
  const hint = edge.by.includes('approver')
    ? 'approver_staff'
    : edge.by.length === 1 && edge.by[0] === 'system'
      ? 'system_only'
      : 'none'
  return { ok: false, reason: 'forbidden', hint }
}

/** The moves this actor may make from a status: drives the buttons in the admin and the bot. */
export function movesFor(from: WorkflowStatus, actor: WorkflowActor, policy: ReviewPolicy): WorkflowStatus[] {
  return TRANSITIONS.filter((t) => t.from === from && t.by.some((p) => partyMatches(p, actor, policy))).map(
    (t) => t.to,
  )
}
