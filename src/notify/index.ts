import type { Payload } from 'payload'

import { addJob, type JobTransaction } from '../jobs/addJob'
import type { Enqueued } from '../jobs/contracts'
import type { Notice } from './events'

export type { Notice, NoticeEvent, NoticeData } from './events'

/**
 * Tells a customer about an event in the bot: a `notice.send` job naming the event and its data,
 * added in the write's own transaction when given the write's `req` (so a write that rolls back
 * tells nobody, and one that commits always tells), or at once when given the Payload instance
 * (a write that has already committed). The worker renders it in the customer's language
 * (src/bot/notices.ts) and sends it; a failed send is retried, a blocked account gets nothing.
 */
export function notice(target: Payload | JobTransaction, what: Notice): Promise<Enqueued> {
  const req = 'db' in target ? undefined : target
  return addJob('notice.send', { accountId: what.accountId, event: what.event, data: what.data }, { req })
}
