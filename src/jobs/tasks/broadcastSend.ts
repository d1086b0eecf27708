import { runBroadcast } from '../../broadcasts/send'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * `broadcast.send`: an announcement to its segment, paced within Telegram's limits by the shared
 * client. Resumable: a run after a crash or a pause (429 beyond the pacing, Telegram unreachable,
 * shutdown) sends only to recipients without a delivery row.
 */
export const broadcastSendTask = defineTask('broadcast.send', JOBS['broadcast.send'].payload, async ({ broadcastId }, { payload, log, helpers }) => {
  await runBroadcast(payload, broadcastId, { log, signal: helpers.abortSignal })
})
