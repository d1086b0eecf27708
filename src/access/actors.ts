import type { PayloadRequest } from 'payload'

export type StaffRole = 'admin' | 'editor' | 'support'

type StaffUser = { collection: 'users'; id: number | string; roles?: StaffRole[] | null }
type AccountUser = { collection: 'accounts'; id: number | string; status?: string | null }

export type Actor =
  | { kind: 'staff'; id: number | string; roles: StaffRole[] }
  | { kind: 'account'; id: number | string }
  | { kind: 'anonymous' }

/** Who is acting, from the authenticated user on the request (staff user or customer account). */
export function actorOf(req: Pick<PayloadRequest, 'user'>): Actor {
  const user = req.user as StaffUser | AccountUser | null | undefined
  if (!user) return { kind: 'anonymous' }
  if (user.collection === 'users') return { kind: 'staff', id: user.id, roles: user.roles ?? [] }
  if (user.collection === 'accounts' && user.status !== 'blocked') return { kind: 'account', id: user.id }
  return { kind: 'anonymous' }
}

export function isStaff(req: Pick<PayloadRequest, 'user'>, ...roles: StaffRole[]): boolean {
  const actor = actorOf(req)
  if (actor.kind !== 'staff') return false
  if (roles.length === 0) return true
  return actor.roles.some((role) => role === 'admin' || roles.includes(role))
}

export function accountIdOf(req: Pick<PayloadRequest, 'user'>): number | string | null {
  const actor = actorOf(req)
  return actor.kind === 'account' ? actor.id : null
}
