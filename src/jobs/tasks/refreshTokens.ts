import { refreshInstagramTokens } from '../../connections/service'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * Every six hours (crontab): Instagram's long-lived tokens are renewed a week before they lapse;
 * a token the platform no longer takes marks its connection "needs reconnect" and tells the owner.
 */
export const refreshTokensTask = defineTask('connections.refreshTokens', JOBS['connections.refreshTokens'].payload, async (_input, { payload, log }) => {
  const { refreshed, lost } = await refreshInstagramTokens(payload)
  if (refreshed + lost > 0) log.info({ refreshed, lost }, 'instagram tokens renewed')
})
