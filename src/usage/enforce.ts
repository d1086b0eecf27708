import { sql } from '@payloadcms/db-postgres'
import type { CollectionBeforeChangeHook, Payload, PayloadRequest } from 'payload'

import { accountIdOf } from '../access/actors'
import { AppError } from '../http/errors'
import { transactionOf } from '../jobs/addJob'
import { effectivePlan, planName } from './limits'
import type { PlanLimits } from './plans'

type Counted = 'projects' | 'connections'

const LIMIT: Record<Counted, { key: keyof PlanLimits; code: string }> = {
  projects: { key: 'maxProjects', code: 'plan.projects_limit' },
  connections: { key: 'maxConnections', code: 'plan.connections_limit' },
}

/**
 * An account creating a project or a connection stays within its plan, whichever face it acts
 * through (the bot and its staff console act as the account, REST and GraphQL with its API key):
 * the collection's own hook counts the account's rows and refuses the one past the limit with
 * 402 and a message naming the limit, the plan and /plan. Staff in the admin and the system are
 * not limited. Two creates at once are counted one after the other: a transaction-scoped
 * advisory lock per account and collection holds the second until the first commits.
 */
export function withinPlan(collection: Counted): CollectionBeforeChangeHook {
  return async ({ operation, req, data }) => {
    if (operation !== 'create') return data
    const accountId = accountIdOf(req)
    if (accountId === null) return data
    await assertBelowLimit(req, collection, Number(accountId))
    return data
  }
}

async function assertBelowLimit(req: PayloadRequest, collection: Counted, accountId: number): Promise<void> {
  const tx = await transactionOf(req)
  if (tx) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`plan:${collection}`}), ${accountId})`)
  await assertRoomFor(req.payload, accountId, collection, req)
}

/**
 * Refuses (402) when the account already has as many projects or connections as its plan allows.
 * The collections' hooks enforce it on every create; a face may ask first (the bot does, before a
 * conversation of several steps) so the customer is not told at the last step.
 */
export async function assertRoomFor(payload: Payload, accountId: number, collection: Counted, req?: PayloadRequest): Promise<void> {
  // Read as stored now, not the copy on the request: a plan staff just changed applies here.
  const account = await payload.findByID({ collection: 'accounts', id: accountId, depth: 0, req, overrideAccess: true })
  const plan = await effectivePlan(payload, account)
  const { key, code } = LIMIT[collection]
  const limit = plan.limits[key]
  const { totalDocs } = await payload.count({ collection, where: { account: { equals: accountId } }, req, overrideAccess: true })
  if (totalDocs >= limit)
    throw new AppError(code, 402, account.language, { plan: planName(plan, account.language), limit, count: totalDocs })
}
