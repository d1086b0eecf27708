import { claimFailedJob, type FailedJob } from '../../ai/retry'
import type { GenerationRequest } from '../../content/generation'
import { retryRevision } from '../../content/retry'
import { requestClustering } from '../../keywords/service'
import { getProject } from '../../projects/service'
import { accountOf, type BotContext } from '../context'
import { say } from '../ui'

/**
 * "🔁 Try again" under a generation that failed for good. The button holds only a token: the
 * failed job's task and payload are read from Redis, and nothing in the callback data is trusted
 * for ownership. Another account's token is refused and queues nothing. The job is then ordered
 * again the way a new order is (the account reads the project, keyword or article as itself, so
 * it owns them and is not blocked; AI configured, spend cap and plan quota, nothing already
 * running under the job key) and queued with the same task, payload and key through `addJob`.
 * The token works once: it is claimed in Redis in one step before the job is ordered, so a later
 * or simultaneous press answers "already started" and queues nothing.
 */
export async function retryFailedJob(
  ctx: BotContext,
  token: string,
  generate: (ctx: BotContext, request: GenerationRequest) => Promise<'queued' | 'already' | 'limited'>,
): Promise<unknown> {
  const account = accountOf(ctx)
  const claim = await claimFailedJob(ctx.deps.redis, token, account.id)
  if (claim.status === 'gone') return ctx.answerCallbackQuery({ text: ctx.t('gen.retry_gone'), show_alert: true })
  if (claim.status === 'used') return ctx.answerCallbackQuery({ text: ctx.t('gen.retry_used'), show_alert: true })
  if (claim.status === 'foreign') {
    ctx.log.warn({ task: claim.job.task, owner: claim.job.accountId }, 'retry of another account\'s job refused')
    return ctx.answerCallbackQuery({ text: ctx.t('gen.retry_foreign'), show_alert: true })
  }
  const failed = claim.job
  try {
    // Refused by the daily limit: nothing was queued, so the button works again once it refills.
    if ((await orderAgain(ctx, account, failed, generate)) === 'limited') await claim.release()
  } catch (error) {
    // Nothing was queued: the button works again.
    await claim.release()
    throw error
  }
}

async function orderAgain(
  ctx: BotContext,
  account: ReturnType<typeof accountOf>,
  failed: FailedJob,
  generate: (ctx: BotContext, request: GenerationRequest) => Promise<'queued' | 'already' | 'limited'>,
): Promise<unknown> {
  ctx.log.info({ task: failed.task }, 'failed job asked again')
  switch (failed.task) {
    case 'keywords.cluster': {
      await getProject(ctx.deps.payload, account, failed.payload.projectId)
      const job = await requestClustering(account, failed.payload.projectId)
      await ctx.answerCallbackQuery()
      return say(ctx, ctx.t(job.alreadyQueued ? 'cluster.already' : 'cluster.queued'))
    }
    case 'post.generate': {
      // The customer's own image, if the failed order had one, stays the post's image.
      const { articleId, keywordId, mediaId } = failed.payload
      return generate(ctx, articleId ? { kind: 'post', articleId, mediaId } : { kind: 'post', keywordId: keywordId!, mediaId })
    }
    case 'article.generate': {
      const { articleId, keywordId, lengthPreset, secondaryKeywordIds } = failed.payload
      if (!articleId) return generate(ctx, { kind: 'article', keywordId, lengthPreset, secondaryKeywordIds })
      const job = await retryRevision(ctx.deps.payload, account, articleId)
      const what = ctx.t('gen.what_article')
      if (job.alreadyQueued) return ctx.answerCallbackQuery({ text: ctx.t('gen.already', { what }), show_alert: true })
      await ctx.answerCallbackQuery({ text: ctx.t('gen.queued_toast') })
      return say(ctx, ctx.t('gen.revising'))
    }
  }
}
