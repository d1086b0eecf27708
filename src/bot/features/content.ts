import { Composer, InlineKeyboard, InputFile } from 'grammy'
import { z } from 'zod'

import { LENGTH_TARGETS, type LengthPreset } from '../../ai/lengths'
import { RetryToken } from '../../ai/retry'
import { requestGeneration, type GenerationRequest } from '../../content/generation'
import { clusterArticlePlan, getKeyword, listClusters } from '../../keywords/service'
import {
  ArticleMetaEdit,
  contentText,
  editArticleMeta,
  getContent,
  listContent,
  type ArticleMetaField,
  type ContentCollection,
} from '../../content/library'
import { beingGenerated } from '../../content/generating'
import { moveContent, reviewMovesFor, type ReviewMove } from '../../content/review'
import { idOf } from '../../lib/ids'
import { slugify } from '../../lib/text'
import type { Article, Post } from '../../payload-types'
import { getProject } from '../../projects/service'
import { publishedLinks } from '../../publishing/actions'
import { lexicalToTelegramHtml, splitTelegramHtml } from '../../telegram/html'
import type { DailyLimitRefusal } from '../../usage/generations'
import { planName } from '../../usage/limits'
import { refillParts } from '../../usage/spend'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { menuButton, startFlow, type FlowDef } from '../flows/engine'
import { addUpgradeButtons } from '../keyboards/upgrade'
import { addPager, esc, say, show, truncate } from '../ui'
import { retryFailedJob } from './retry'

const PAGE_SIZE = 6
/** Longer than this many messages, an item is sent as a file instead. */
const MAX_PARTS = 4

const Kind = z.enum(['a', 'p'])
type Kind = z.infer<typeof Kind>
const COLLECTION: Record<Kind, ContentCollection> = { a: 'articles', p: 'posts' }

const MOVE_CODES = { s: 'in_review', a: 'approved', x: 'archived' } as const satisfies Record<
  string,
  ReviewMove
>
const MoveCode = z.enum(['s', 'a', 'x'])

const STATUS_ICON: Record<string, string> = {
  draft: '📝',
  in_review: '👀',
  changes_requested: '✏️',
  approved: '✅',
  scheduled: '🗓',
  published: '📣',
  failed: '⚠️',
  archived: '📦',
}

export const reviewNoteFlow: FlowDef = {
  name: 'content.note',
  steps: () => [
    {
      key: 'note',
      prompt: (ctx) => ctx.t('review.ask_note'),
      schema: z.string().trim().min(3).max(2000),
    },
  ],
  finish: async (ctx, flow, note) => {
    const kind = Kind.parse(flow.data.kind)
    const item = await moveContent(
      ctx.deps.payload,
      accountOf(ctx),
      COLLECTION[kind],
      flow.ref!,
      'changes_requested',
      note,
    )
    // A generated article is rewritten from the note (queued by the collection's hook).
    const revising = kind === 'a' && Boolean((item as Article).mainKeyword)
    const moved = ctx.t('review.moved', { status: ctx.t('status.changes_requested') })
    await showItem(ctx, kind, flow.ref!, revising ? `${moved}\n${ctx.t('gen.revising')}` : moved)
  },
}

const MetaCode = z.enum(['t', 'mt', 'md'])
const META_FIELDS: Record<z.infer<typeof MetaCode>, ArticleMetaField> = {
  t: 'title',
  mt: 'metaTitle',
  md: 'metaDescription',
}

/** Retitle an article, or rewrite its search title or description, with the limits shown. */
export const articleMetaFlow: FlowDef = {
  name: 'content.meta',
  steps: (flow) => {
    const field = META_FIELDS[MetaCode.parse(flow.data.code)]
    return [
      {
        key: 'value',
        prompt: (ctx) =>
          ctx.t(`meta.ask.${field}`) +
          (flow.data.current ? `\n\n${ctx.t('project.current', { current: flow.data.current })}` : ''),
        schema: ArticleMetaEdit[field],
      },
    ]
  },
  finish: async (ctx, flow, value) => {
    const field = META_FIELDS[MetaCode.parse(flow.data.code)]
    const article = await editArticleMeta(ctx.deps.payload, accountOf(ctx), flow.ref!, field, value)
    ctx.log.info({ article: article.id, field, status: article.workflowStatus }, 'article meta edited')
    await showItem(ctx, 'a', flow.ref!, ctx.t('project.saved'))
  },
}

async function showList(ctx: BotContext, kind: Kind, projectId: number, page: number) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const result = await listContent(ctx.deps.payload, accountOf(ctx), COLLECTION[kind], projectId, {
    page,
    limit: PAGE_SIZE,
  })
  const keyboard = new InlineKeyboard()
  for (const item of result.docs) {
    keyboard
      .text(
        `${STATUS_ICON[item.workflowStatus] ?? ''} ${truncate(item.title, 48)}`,
        cb('c:o', kind, item.id),
      )
      .row()
  }
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('c:l', kind, projectId, p))
  if (result.totalDocs === 0) keyboard.text(ctx.t('kw.list'), cb('k:l', projectId, 1)).row()
  keyboard.text(ctx.t('back'), cb('p:o', projectId))
  const title = ctx.t(kind === 'a' ? 'content.articles_title' : 'content.posts_title', {
    project: project.name,
    total: result.totalDocs,
  })
  await show(
    ctx,
    result.totalDocs === 0 ? `${title}\n\n${ctx.t('content.empty')}` : title,
    keyboard,
  )
}

export async function showItem(ctx: BotContext, kind: Kind, id: number, intro?: string) {
  const account = accountOf(ctx)
  const item = await getContent(ctx.deps.payload, account, COLLECTION[kind], id)
  const project = await getProject(ctx.deps.payload, account, Number(idOf(item.project)))
  const moves = await reviewMovesFor(ctx.deps.payload, account, item)
  const keyboard = new InlineKeyboard().text(ctx.t('content.read'), cb('c:r', kind, id)).row()
  for (const move of moves) {
    if (move === 'changes_requested')
      keyboard.text(ctx.t('review.request_changes'), cb('c:rc', kind, id))
    else {
      const code = (Object.keys(MOVE_CODES) as Array<keyof typeof MOVE_CODES>).find(
        (c) => MOVE_CODES[c] === move,
      )!
      keyboard.text(ctx.t(`review.${move}`), cb('c:mv', kind, id, code))
    }
    keyboard.row()
  }
  if (kind === 'a' && !['archived', 'published', 'scheduled'].includes(item.workflowStatus)) {
    keyboard
      .text(ctx.t('meta.edit.title'), cb('c:me', id, 't'))
      .text(ctx.t('meta.edit.meta'), cb('c:mm', id))
      .row()
  }
  if (kind === 'a' && item.workflowStatus !== 'archived')
    keyboard.text(ctx.t('gen.post_from_article'), cb('c:gpa', id)).row()
  // The customer's own image instead of the AI one (src/bot/features/contentImages.ts).
  if (item.workflowStatus !== 'archived') keyboard.text(ctx.t('image.own'), cb('c:im', kind, id, 1)).row()
  keyboard.text(ctx.t('back'), cb('c:l', kind, Number(idOf(item.project)), 1))
  const lines = [
    `${kind === 'a' ? '📄' : '💬'} <b>${esc(item.title)}</b>`,
    `${ctx.t('content.status')}: ${STATUS_ICON[item.workflowStatus] ?? ''} ${ctx.t(`status.${item.workflowStatus}`)}`,
  ]
  if (kind === 'a') {
    const article = item as Article
    lines.push(ctx.t('content.words', { count: article.wordCount ?? 0 }))
    if (article.metaTitle) lines.push(`${ctx.t('meta.field.metaTitle')}: ${esc(article.metaTitle)}`)
    if (article.metaDescription)
      lines.push(`${ctx.t('meta.field.metaDescription')}: ${esc(article.metaDescription)}`)
  }
  // Where it went out, so the customer can open it from here.
  for (const link of await publishedLinks(ctx.deps.payload, account, COLLECTION[kind], id))
    lines.push(ctx.t('content.published_link', link))
  if (item.reviewNote && item.workflowStatus === 'changes_requested')
    lines.push(`${ctx.t('content.note')}: ${esc(item.reviewNote)}`)
  // Back in review after a rewrite: what was asked stays in view, whole, to check it was done.
  if (item.reviewNote && item.workflowStatus === 'in_review')
    lines.push(`${ctx.t('content.last_note')}: ${esc(item.reviewNote)}`)
  // Who decides and what follows, so a card without buttons is never a dead end.
  // While the AI writes the article there is nothing to decide yet: say so instead.
  const generating = kind === 'a' && moves.length === 0 && (await beingGenerated(item as Article))
  const next = generating ? 'content.generating' : `review.next.${project.reviewPolicy}.${item.workflowStatus}`
  if (ctx.t(next) !== next) lines.push('', ctx.t(next))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/**
 * The daily limit is used up: when it refills (the customer's midnight, in their zone, and the
 * time left) and what they can do now.
 */
async function sayLimitReached(ctx: BotContext, refusal: DailyLimitRefusal) {
  const text = ctx.t('gen.limit_reached', {
    plan: planName(refusal.plan, ctx.lang),
    used: refusal.used,
    limit: refusal.limit,
    refills: ctx.t('usage.refills', refillParts(refusal.timeZone)),
  })
  // The way past the limit (change the plan, buy credits), as on every limit refusal.
  const keyboard = addUpgradeButtons(new InlineKeyboard(), ctx.lang).text(ctx.t('menu.open'), 'm:home')
  await tell(ctx, { text: ctx.t('gen.limited_toast') })
  await say(ctx, text, keyboard)
}

/** A toast or alert under the pressed button; after a message (a photo just sent), alerts are said. */
async function tell(ctx: BotContext, options: { text: string; show_alert?: boolean }) {
  if (ctx.callbackQuery) return ctx.answerCallbackQuery(options)
  if (options.show_alert) await say(ctx, options.text)
}

/** Asks for a generation and tells the customer; says whether a job was queued, or why not. */
export async function generate(ctx: BotContext, request: GenerationRequest): Promise<'queued' | 'already' | 'limited'> {
  // The plan's daily generation is taken in the domain (one count for every face).
  const outcome = await requestGeneration(ctx.deps.payload, accountOf(ctx), request)
  const what = ctx.t(request.kind === 'article' ? 'gen.what_article' : 'gen.what_post')
  if ('limited' in outcome) {
    ctx.log.info({ request, used: outcome.limited.used, limit: outcome.limited.limit }, 'generation limited')
    await sayLimitReached(ctx, outcome.limited)
    return 'limited'
  }
  if (outcome.alreadyQueued) {
    await tell(ctx, { text: ctx.t('gen.already', { what }), show_alert: true })
    return 'already'
  }
  ctx.log.info({ request, job: outcome.jobId }, 'generation queued')
  await tell(ctx, { text: ctx.t('gen.queued_toast') })
  await say(ctx, ctx.t('gen.queued', { what }))
  return 'queued'
}

/**
 * An item as the customer reads it in Telegram (HTML): the title in bold; an article's excerpt in
 * italics, its body with headings, bold, lists and links, its FAQ; a post's text per platform.
 */
function contentHtml(ctx: BotContext, kind: Kind, item: Article | Post): string {
  const blocks = [`<b>${esc(item.title)}</b>`]
  if (kind === 'p') {
    for (const variant of (item as Post).variants ?? [])
      blocks.push(`<b>${ctx.t(`platform.${variant.platform}`)}</b>\n${esc(variant.text)}`)
  } else {
    const article = item as Article
    if (article.excerpt?.trim()) blocks.push(`<i>${esc(article.excerpt.trim())}</i>`)
    blocks.push(lexicalToTelegramHtml(article.body))
    for (const f of article.faq ?? []) blocks.push(`<b>${esc(f.question)}</b>\n${esc(f.answer)}`)
  }
  return blocks.filter((b) => b.trim() !== '').join('\n\n')
}

/** "Read": the whole item, formatted, in as many messages as it takes (a file past MAX_PARTS). */
async function sendText(ctx: BotContext, kind: Kind, id: number) {
  const item = await getContent(ctx.deps.payload, accountOf(ctx), COLLECTION[kind], id)
  const text = contentText(COLLECTION[kind], item)
  await ctx.answerCallbackQuery()
  if (text.trim() === '') return say(ctx, ctx.t('content.no_text'))
  const parts = splitTelegramHtml(contentHtml(ctx, kind, item))
  if (parts.length > MAX_PARTS) {
    const name = `${slugify(item.title) || `${COLLECTION[kind]}-${id}`}.txt`
    await ctx.replyWithDocument(new InputFile(Buffer.from(text, 'utf8'), name), {
      caption: ctx.t('content.as_file', { parts: parts.length }),
    })
    return
  }
  for (const part of parts) await say(ctx, part)
}

/** Articles and posts: ask for generation, browse by status, read, and take review decisions. */
export const content = new Composer<BotContext>()

const LengthCode = z.enum(['s', 'm', 'l', 'x'])
const LENGTHS: Record<z.infer<typeof LengthCode>, LengthPreset> = { s: 'short', m: 'medium', l: 'long', x: 'xlong' }

/** An article starts with its length: the presets' word counts are shown on the buttons. */
onButton(content, 'c:ga', z.tuple([Id]), async (ctx, [keywordId]) => {
  const keyword = await getKeyword(ctx.deps.payload, accountOf(ctx), keywordId)
  const keyboard = new InlineKeyboard()
  for (const code of LengthCode.options) {
    const preset = LENGTHS[code]
    keyboard.text(ctx.t(`gen.length.${preset}`, { words: LENGTH_TARGETS[preset].words }), cb('c:gl', keywordId, code)).row()
  }
  keyboard.text(ctx.t('back'), cb('k:o', keywordId))
  await show(ctx, ctx.t('gen.length_ask', { phrase: keyword.phrase }), keyboard)
})
onButton(content, 'c:gl', z.tuple([Id, LengthCode]), (ctx, [keywordId, code]) =>
  generate(ctx, { kind: 'article', keywordId, lengthPreset: LENGTHS[code] }),
)

const ClusterIndex = z.coerce.number().int().min(0).max(5000)

/** The cluster a button points at, by its place in the project's cluster list. */
async function clusterPlan(ctx: BotContext, projectId: number, index: number) {
  const clusters = await listClusters(ctx.deps.payload, accountOf(ctx), projectId)
  const cluster = clusters[index]
  if (!cluster) return null
  const plan = await clusterArticlePlan(ctx.deps.payload, accountOf(ctx), projectId, cluster.name)
  return plan ? { cluster, ...plan } : null
}

/** An article for a whole cluster: its best keyword as the main one, the rest as secondary. */
onButton(content, 'c:gc', z.tuple([Id, ClusterIndex]), async (ctx, [projectId, index]) => {
  const plan = await clusterPlan(ctx, projectId, index)
  if (!plan) return ctx.answerCallbackQuery({ text: ctx.t('gen.cluster_empty'), show_alert: true })
  const keyboard = new InlineKeyboard()
  for (const code of LengthCode.options) {
    const preset = LENGTHS[code]
    keyboard.text(ctx.t(`gen.length.${preset}`, { words: LENGTH_TARGETS[preset].words }), cb('c:gcl', projectId, index, code)).row()
  }
  keyboard.text(ctx.t('back'), cb('k:cv', projectId, index, 1))
  const secondary = plan.secondary.map((k) => k.phrase).join(', ') || ctx.t('not_set')
  await show(
    ctx,
    ctx.t('gen.cluster_plan', { cluster: plan.cluster.name, main: plan.main.phrase, secondary }),
    keyboard,
  )
})
onButton(content, 'c:gcl', z.tuple([Id, ClusterIndex, LengthCode]), async (ctx, [projectId, index, code]) => {
  const plan = await clusterPlan(ctx, projectId, index)
  if (!plan) return ctx.answerCallbackQuery({ text: ctx.t('gen.cluster_empty'), show_alert: true })
  await generate(ctx, {
    kind: 'article',
    keywordId: plan.main.id,
    lengthPreset: LENGTHS[code],
    secondaryKeywordIds: plan.secondary.map((k) => k.id),
  })
})
onButton(content, 'c:gp', z.tuple([Id]), (ctx, [keywordId]) =>
  generate(ctx, { kind: 'post', keywordId }),
)
onButton(content, 'c:gpa', z.tuple([Id]), (ctx, [articleId]) =>
  generate(ctx, { kind: 'post', articleId }),
)
onButton(content, 'c:l', z.tuple([Kind, Id, Page]), (ctx, [kind, projectId, page]) =>
  showList(ctx, kind, projectId, page),
)
onButton(content, 'c:o', z.tuple([Kind, Id]), (ctx, [kind, id]) => showItem(ctx, kind, id))
onButton(content, 'c:r', z.tuple([Kind, Id]), (ctx, [kind, id]) => sendText(ctx, kind, id))
onButton(content, 'c:mv', z.tuple([Kind, Id, MoveCode]), async (ctx, [kind, id, code]) => {
  const item = await moveContent(
    ctx.deps.payload,
    accountOf(ctx),
    COLLECTION[kind],
    id,
    MOVE_CODES[code],
  )
  ctx.log.info({ collection: COLLECTION[kind], id, to: item.workflowStatus }, 'content moved')
  const status = ctx.t(`status.${item.workflowStatus}`)
  await ctx.answerCallbackQuery({ text: ctx.t('review.moved', { status }) })
  await showItem(ctx, kind, id, ctx.t('review.moved', { status }))
})
onButton(content, 'c:mm', z.tuple([Id]), async (ctx, [id]) => {
  await getContent(ctx.deps.payload, accountOf(ctx), 'articles', id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('meta.field.metaTitle'), cb('c:me', id, 'mt'))
    .row()
    .text(ctx.t('meta.field.metaDescription'), cb('c:me', id, 'md'))
    .row()
    .text(ctx.t('back'), cb('c:o', 'a', id))
  await show(ctx, ctx.t('meta.which'), keyboard)
})
onButton(content, 'c:me', z.tuple([Id, MetaCode]), async (ctx, [id, code]) => {
  const article = await getContent(ctx.deps.payload, accountOf(ctx), 'articles', id)
  if (['archived', 'published', 'scheduled'].includes(article.workflowStatus))
    return ctx.answerCallbackQuery({ text: ctx.t('meta.locked'), show_alert: true })
  await ctx.answerCallbackQuery()
  const current = article[META_FIELDS[code]] ?? ''
  await startFlow(ctx, articleMetaFlow, { ref: id, data: { code, current } })
})
onButton(content, 'c:rc', z.tuple([Kind, Id]), async (ctx, [kind, id]) => {
  const item = await getContent(ctx.deps.payload, accountOf(ctx), COLLECTION[kind], id)
  const moves = await reviewMovesFor(ctx.deps.payload, accountOf(ctx), item)
  if (!moves.includes('changes_requested')) {
    return ctx.answerCallbackQuery({ text: ctx.t('review.not_now'), show_alert: true })
  }
  await ctx.answerCallbackQuery()
  await startFlow(ctx, reviewNoteFlow, { ref: id, data: { kind } })
})

/** "🔁 Try again" under a generation that failed for good (the failed job behind a token). */
onButton(content, 'g:rt', z.tuple([RetryToken]), (ctx, [token]) => retryFailedJob(ctx, token, generate))
