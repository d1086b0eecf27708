import { refundAbandonedHolds } from '../../billing/credits'
import { expireEndedPeriods } from '../../billing/subscriptions'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * Every hour (crontab): plan periods that ended put their accounts back on the default plan (unless
 * another subscription is active) and let the period's unspent plan credits expire; generation
 * holds nobody closed (a worker that died in a job's last attempt) are given back.
 */
export const billingSweepTask = defineTask('billing.sweep', JOBS['billing.sweep'].payload, async (_input, { payload, log }) => {
  const periods = await expireEndedPeriods(payload)
  const holds = await refundAbandonedHolds(payload)
  if (periods + holds > 0) log.info({ periods, holds }, 'billing sweep')
})
