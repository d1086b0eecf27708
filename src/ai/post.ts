import type { Payload } from 'payload'
import { z } from 'zod'

import { t } from '../i18n'
import { JOBS } from '../jobs/contracts'
import { idOf } from '../lib/ids'
import { lexicalToPlainText } from '../lib/text'
import type { Post } from '../payload-types'
import { PLATFORMS, PLATFORM_TEXT_LIMITS, type Platform } from '../publishing/platforms'
import { TELEGRAM_TEXT_LIMITS } from '../telegram/limits'
import { assertWithinDailySpend } from '../usage/spend'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { clampWords } from './articleParts'
import { generateJson, type CallContext } from './call'
import { ChatProgress } from './chat'
import { generateIllustration } from './images'
import { loadKeyword, loadProject, MissingInputError, projectVars, type JobRun } from './jobContext'
import { preparePrompt } from './prompts'
import { opens } from '../notify/targets'

const SOCIAL = PLATFORMS.filter((p) => p !== 'wordpress')
type Social = Exclude<Platform, 'wordpress'>

/** The bot's payload plus optional platforms (default: the project's connections, else all). */
export const PostJob = JOBS['post.generate'].payload.and(
  z.object({ platforms: z.array(z.enum(SOCIAL as [Social, ...Social[]])).min(1).optional(), withImage: z.boolean().default(true) }),
)
export type PostJobInput = z.infer<typeof PostJob>

export const PostAnswer = z.object({
  variants: z
    .array(
      z.object({
        platform: z.string().trim().toLowerCase(),
        text: z.string().trim().min(1).max(20_000),
        hashtags: z.array(z.string()).max(30).optional().catch(undefined),
      }),
    )
    .min(1),
  imageAlt: z.string().trim().max(300).optional().catch(undefined),
})

/** Telegram's caption limit applies when the post carries an image. */
export function textLimit(platform: Social, withImage: boolean): number {
  if (platform === 'telegram' && withImage) return TELEGRAM_TEXT_LIMITS.caption
  return PLATFORM_TEXT_LIMITS[platform] ?? TELEGRAM_TEXT_LIMITS.message
}

/**
 * The post text within the platform's limit: hashtags are appended while they fit, and text that
 * is still too long is cut at the last sentence (or word) that fits, with an ellipsis.
 */
export function fitToLimit(text: string, hashtags: string[], limit: number): string {
  const tags = [...new Set(hashtags.map((h) => h.replace(/^#/, '').replace(/[^\p{L}\p{N}_]/gu, '')).filter((h) => h.length > 1))].map((h) => `#${h}`)
  let body = text.trim()
  if (body.length > limit) {
    const cut = body.slice(0, limit - 1)
    const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '), cut.lastIndexOf('\n'))
    const space = cut.lastIndexOf(' ')
    body = sentence > limit * 0.5 ? cut.slice(0, sentence + 1).trim() : `${(space > limit * 0.5 ? cut.slice(0, space) : cut).trim()}…`
  }
  let withTags = body
  for (const tag of tags) {
    const next = `${withTags}${withTags === body ? '\n\n' : ' '}${tag}`
    if (next.length > limit) break
    withTags = next
  }
  return withTags
}

async function platformsFor(payload: Payload, projectId: number, asked?: Social[]): Promise<Social[]> {
  if (asked) return [...new Set(asked)]
  const { docs } = await payload.find({
    collection: 'connections',
    where: { project: { equals: projectId }, status: { equals: 'active' } },
    limit: 50,
    depth: 0,
    select: { platform: true },
  })
  const connected = [...new Set(docs.map((c) => c.platform as Platform))].filter((p): p is Social => p !== 'wordpress')
  return connected.length > 0 ? connected : SOCIAL
}

/**
 * An image of the project the customer chose: the one asked for (`mediaId`), else the article's
 * when the customer put their own there (an image drawn for the article is not reused). Null
 * when there is none, or it is gone or another project's (then an image is drawn as usual).
 */
async function ownImage(payload: Payload, projectId: number, mediaId: number | undefined, articleImage: number | string | undefined): Promise<number | null> {
  for (const [id, chosen] of [[mediaId, true], [articleImage, false]] as const) {
    if (id === undefined) continue
    const media = await payload.findByID({ collection: 'media', id, depth: 0, disableErrors: true })
    if (media && Number(idOf(media.project)) === projectId && (chosen || !media.generatedFrom)) return media.id
  }
  return null
}

export type PostOutcome = { postId: number; platforms: Social[]; image: boolean }

/**
 * A post about a keyword or an article: a variant per platform within its limits, with hashtags
 * and a generated image (or a recorded reason why there is none), put into review.
 */
export async function generatePost(payload: Payload, input: PostJobInput, run: JobRun): Promise<PostOutcome> {
  const project = await loadProject(payload, input.accountId, input.projectId)
  let subject: string
  let keywordPhrase = ''
  let articleId: number | undefined
  let keywordId: number | undefined
  let articleImage: number | string | undefined
  if (input.articleId) {
    const article = await payload.findByID({ collection: 'articles', id: input.articleId, depth: 0, disableErrors: true })
    if (!article || Number(idOf(article.project)) !== project.id) throw new MissingInputError(`article ${input.articleId} not found in project ${project.id}`)
    articleId = article.id
    articleImage = idOf(article.images?.[0]) ?? undefined
    subject = [article.title, article.excerpt ?? '', lexicalToPlainText(article.body).slice(0, 1500)].filter(Boolean).join('\n')
    const main = idOf(article.mainKeyword)
    if (main) keywordPhrase = (await payload.findByID({ collection: 'keywords', id: main, depth: 0, disableErrors: true }))?.phrase ?? ''
  } else {
    const keyword = await loadKeyword(payload, project, input.keywordId!)
    keywordId = keyword.id
    keywordPhrase = keyword.phrase
    subject = keyword.phrase
  }
  await assertWithinDailySpend(payload, input.accountId)
  const chat = await ChatProgress.open(payload, input.accountId, run.log, run.jobKey)
  await chat.status('ai.post.started')
  const ctx: CallContext = { payload, scope: { accountId: input.accountId, projectId: project.id, articleId, jobKey: run.jobKey }, log: run.log, signal: run.signal }

  const platforms = await platformsFor(payload, project.id, input.platforms)
  const answer = await generateJson(
    'post.variant',
    ctx,
    await preparePrompt(payload, 'post.variant', project.language, {
      project: projectVars(project),
      subject,
      keyword: keywordPhrase,
      platforms: platforms.map((p) => `- ${p}: ${textLimit(p, input.withImage)}`),
    }),
    PostAnswer,
  )

  let media: number[] = []
  let imageNote: string | null = null
  // The customer's own image (chosen for this post, or the one they put on the article) is used
  // as it is: no image is drawn for it.
  const own = await ownImage(payload, project.id, input.mediaId, articleImage)
  if (own !== null) media = [own]
  else if (input.withImage) {
    const alt = clampWords(answer.imageAlt ?? keywordPhrase ?? subject, 300) || project.name
    const image = await generateIllustration(payload, ctx, project, { subject: subject.slice(0, 300), alt })
    if ('mediaId' in image) media = [image.mediaId]
    else imageNote = `${t(project.language, 'ai.image.unavailable')}: ${image.skipped}`.slice(0, 1000)
  }
  const variants = platforms.map((platform) => {
    const own = answer.variants.find((v) => v.platform === platform) ?? answer.variants[0]
    return { platform, text: fitToLimit(own.text, own.hashtags ?? [], textLimit(platform, media.length > 0)) }
  })
  const post = (await payload.create({
    collection: 'posts',
    depth: 0,
    context: SYSTEM_CONTEXT,
    data: {
      title: clampWords(subject.split('\n')[0] ?? keywordPhrase, 200) || project.name,
      project: project.id,
      workflowStatus: 'in_review',
      variants,
      media,
      article: articleId,
      keyword: keywordId,
      imageNote,
    } as never,
  })) as Post
  await payload.update({ collection: 'ai-runs', where: { jobKey: { equals: run.jobKey }, post: { exists: false } }, data: { post: post.id } })
  const status = t(chat.language, `status.${post.workflowStatus}`)
  await chat.say('ai.post.done', { platforms: platforms.map((p) => t(chat.language, `platform.${p}`)).join(', '), status }, [{ key: 'ai.open_post', data: opens.post(post.id) }])
  // The customer reads why in words; the model's error stays on the post for staff (imageNote).
  if (imageNote) await chat.say('ai.post.no_image', { reason: chat.text('ai.image.unavailable') })
  run.log.info({ postId: post.id, platforms, image: media.length > 0 }, 'post generated')
  return { postId: post.id, platforms, image: media.length > 0 }
}
