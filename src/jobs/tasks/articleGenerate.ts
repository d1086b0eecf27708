import { ArticleJob, generateArticle, markArticleFailed } from '../../ai/article'
import { runGeneration } from '../../ai/jobRun'
import { defineTask } from '../task'

/** `article.generate`: the whole article pipeline; resumable section by section after a crash. */
export const articleGenerateTask = defineTask('article.generate', ArticleJob, async (input, { payload, log, helpers }) => {
  await runGeneration(
    'article',
    { payload, log, helpers, accountId: input.accountId },
    (run) => generateArticle(payload, input, run),
    (reason) => markArticleFailed(payload, input, reason),
  )
})
