import { materializeSchedules } from '../../scheduling/materialize'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/**
 * Every five minutes (crontab): fill the next 48 hours of schedule slots with approved content.
 * Each publication's job is added by the collection in the same transaction as the publication.
 */
export const materializeSchedulesTask = defineTask('schedules.materialize', JOBS['schedules.materialize'].payload, async (_input, { payload }) => {
  await materializeSchedules(payload)
})
