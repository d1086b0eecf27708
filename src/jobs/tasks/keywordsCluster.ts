import { clusterKeywords } from '../../ai/keywords'
import { runGeneration } from '../../ai/jobRun'
import { JOBS } from '../contracts'
import { defineTask } from '../task'

/** `keywords.cluster`: after the survey, AI clusters with intent and priority, told to the customer. */
export const keywordsClusterTask = defineTask('keywords.cluster', JOBS['keywords.cluster'].payload, async (input, { payload, log, helpers }) => {
  await runGeneration('cluster', { payload, log, helpers, accountId: input.accountId }, (run) => clusterKeywords(payload, input, run))
})
