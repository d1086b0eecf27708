import { generatePost, PostJob } from '../../ai/post'
import { runGeneration } from '../../ai/jobRun'
import { defineTask } from '../task'

/** `post.generate`: a variant per platform within its limits, with an image when one can be drawn. */
export const postGenerateTask = defineTask('post.generate', PostJob, async (input, { payload, log, helpers }) => {
  await runGeneration('post', { payload, log, helpers, accountId: input.accountId }, (run) => generatePost(payload, input, run))
})
