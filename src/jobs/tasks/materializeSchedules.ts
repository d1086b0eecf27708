import { z } from 'zod'

import { materializeSchedules } from '../../scheduling/materialize'
import { defineTask } from '../task'

/** Every five minutes (crontab): fill the next 48 hours of schedule slots with approved content. */
export const materializeSchedulesTask = defineTask('schedules.materialize', z.object({}).passthrough(), async (_input, { payload, helpers }) => {
  await materializeSchedules(payload, { enqueue: (task, body, spec) => helpers.addJob(task, body, spec) })
})
