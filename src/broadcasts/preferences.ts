import type { Payload } from 'payload'

import type { Account } from '../payload-types'

/** The customer turns announcements off (settings, or the Unsubscribe button) or back on, as themselves. */
export async function setAnnouncements(payload: Payload, account: Account, on: boolean): Promise<Account> {
  return payload.update({
    collection: 'accounts',
    id: account.id,
    data: { announcementsOff: !on },
    user: { ...account, collection: 'accounts' },
    overrideAccess: false,
    depth: 0,
  })
}

/** A customer who blocked the bot wrote again: announcements reach them again (a system fact, not theirs to set). */
export async function clearBotBlocked(payload: Payload, account: Account): Promise<Account> {
  return payload.update({ collection: 'accounts', id: account.id, data: { botBlockedAt: null }, overrideAccess: true, depth: 0 })
}
