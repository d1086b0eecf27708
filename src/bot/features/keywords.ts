import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { idOf } from '../../lib/ids'
import { MAX_IMPORT_BYTES, MAX_IMPORT_PHRASES, parseKeywordList } from '../../keywords/parse'
import {
  addKeywords,
  completeSurvey,
  getKeyword,
  listClusters,
  listKeywords,
  requestClustering,
  setKeywordStatus,
  type ImportResult,
} from '../../keywords/service'
import type { Keyword } from '../../payload-types'
import { getProject } from '../../projects/service'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { startFlow, type FlowDef } from '../flows/engine'
import { addPager, esc, say, show, truncate } from '../ui'

const PAGE_SIZE = 8
const CLUSTER_PAGE_SIZE = 8

const STATUS_ICON: Record<Keyword['status'], string> = {
  new: '🆕',
  planned: '✅',
  used: '✔️',
  discarded: '🗑',
}
const STATUS_CODES = { k: 'planned', d: 'discarded', n: 'new' } as const

const answerText = z.string().trim().min(2).max(2000)

const SURVEY_QUESTIONS = ['offer', 'customers', 'geo', 'usp'] as const

/** The seed list must hold at least one usable phrase. */
const SeedList = z
  .string()
  .max(4000)
  .refine((text) => parseKeywordList(text).phrases.length > 0, { message: 'list_empty' })

export const surveyFlow: FlowDef = {
  name: 'keywords.survey',
  steps: () => [
    ...SURVEY_QUESTIONS.map((key) => ({
      key,
      prompt: (ctx: BotContext) => ctx.t(`survey.${key}`),
      schema: key === 'geo' || key === 'usp' ? z.union([z.literal(''), answerText]) : answerText,
      optional: key === 'geo' || key === 'usp' ? ('skip' as const) : undefined,
    })),
    { key: 'seeds', prompt: (ctx: BotContext) => ctx.t('survey.seeds'), schema: SeedList },
  ],
  finish: async (ctx, flow) => {
    const answers = [...SURVEY_QUESTIONS, 'seeds' as const]
      .filter((key) => flow.data[key])
      .map((key) => ({ question: ctx.t(`survey.${key}`), answer: flow.data[key] }))
    const seeds = parseKeywordList(flow.data.seeds).phrases
    const { keywords, job } = await completeSurvey(
      ctx.deps.payload,
      accountOf(ctx),
      flow.ref!,
      answers,
      seeds,
    )
    ctx.log.info(
      { project: flow.ref, created: keywords.created, job: job.jobId },
      'survey completed',
    )
    const keyboard = new InlineKeyboard()
      .text(ctx.t('kw.list'), cb('k:l', flow.ref!, 1))
      .text(ctx.t('back'), cb('p:o', flow.ref!))
    await say(
      ctx,
      [
        ctx.t('survey.done'),
        importSummary(ctx, keywords),
        ctx.t(job.alreadyQueued ? 'cluster.already' : 'cluster.queued'),
      ].join('\n\n'),
      keyboard,
    )
  },
}

export const importFlow: FlowDef = {
  name: 'keywords.import',
  steps: () => [
    {
      key: 'list',
      prompt: (ctx) =>
        ctx.t('import.ask', { max: MAX_IMPORT_PHRASES, kb: MAX_IMPORT_BYTES / 1024 }),
      schema: z
        .string()
        .max(MAX_IMPORT_BYTES)
        .refine((text) => parseKeywordList(text).phrases.length > 0, { message: 'list_empty' }),
      document: { maxBytes: MAX_IMPORT_BYTES, extensions: ['.txt', '.csv'] },
      transient: true,
    },
  ],
  finish: async (ctx, flow, text) => {
    const format = ctx.message?.document?.file_name?.toLowerCase().endsWith('.csv') ? 'csv' : 'text'
    const parsed = parseKeywordList(text, format)
    const result = await addKeywords(
      ctx.deps.payload,
      accountOf(ctx),
      flow.ref!,
      parsed.phrases,
      'import',
    )
    ctx.log.info(
      { project: flow.ref, created: result.created, duplicates: result.duplicates.length },
      'keywords imported',
    )
    const lines = [importSummary(ctx, result)]
    if (parsed.repeated > 0) lines.push(ctx.t('import.repeated', { count: parsed.repeated }))
    if (parsed.urls.length > 0) {
      lines.push(
        ctx.t('import.urls', { count: parsed.urls.length, examples: parsed.urls.slice(0, 3).join('; ') }),
      )
    }
    if (parsed.invalid.length > 0) {
      lines.push(
        ctx.t('import.invalid', {
          count: parsed.invalid.length,
          examples: parsed.invalid.slice(0, 3).join('; '),
        }),
      )
    }
    const keyboard = new InlineKeyboard()
      .text(ctx.t('kw.list'), cb('k:l', flow.ref!, 1))
      .text(ctx.t('back'), cb('p:o', flow.ref!))
    await say(ctx, lines.join('\n'), keyboard)
  },
}

function importSummary(ctx: BotContext, result: ImportResult): string {
  const lines = [ctx.t('import.created', { count: result.created })]
  if (result.duplicates.length > 0) {
    lines.push(
      ctx.t('import.duplicates', {
        count: result.duplicates.length,
        examples: result.duplicates
          .slice(0, 5)
          .map((p) => truncate(p, 40))
          .join('; '),
      }),
    )
  }
  if (result.tooMany > 0)
    lines.push(ctx.t('import.too_many', { count: result.tooMany, max: MAX_IMPORT_PHRASES }))
  return lines.join('\n')
}

async function showKeywords(
  ctx: BotContext,
  projectId: number,
  page: number,
  cluster?: { index: number; name: string },
) {
  const result = await listKeywords(ctx.deps.payload, accountOf(ctx), projectId, {
    page,
    limit: PAGE_SIZE,
    cluster: cluster?.name,
  })
  const keyboard = new InlineKeyboard()
  if (result.totalDocs === 0) {
    keyboard
      .text(ctx.t('kw.survey'), cb('k:sv', projectId))
      .text(ctx.t('kw.import'), cb('k:im', projectId))
      .row()
    keyboard.text(ctx.t('back'), cb('p:o', projectId))
    return show(ctx, ctx.t('kw.empty'), keyboard)
  }
  for (const keyword of result.docs) {
    keyboard
      .text(`${STATUS_ICON[keyword.status]} ${truncate(keyword.phrase, 48)}`, cb('k:o', keyword.id))
      .row()
  }
  const totalPages = result.totalPages
  addPager(keyboard, result.page ?? page, totalPages, (p) =>
    cluster ? cb('k:cv', projectId, cluster.index, p) : cb('k:l', projectId, p),
  )
  if (cluster) keyboard.text(ctx.t('gen.cluster_article'), cb('c:gc', projectId, cluster.index)).row()
  keyboard.text(ctx.t('back'), cluster ? cb('k:cl', projectId, 1) : cb('p:o', projectId))
  const title = cluster
    ? ctx.t('kw.cluster_title', { name: cluster.name, total: result.totalDocs })
    : ctx.t('kw.title', { total: result.totalDocs })
  await show(ctx, `${title}\n${ctx.t('kw.legend')}`, keyboard)
}

async function showKeyword(ctx: BotContext, id: number, intro?: string) {
  const keyword = await getKeyword(ctx.deps.payload, accountOf(ctx), id)
  const projectId = Number(idOf(keyword.project))
  const keyboard = new InlineKeyboard()
  if (keyword.status !== 'planned') keyboard.text(ctx.t('kw.keep'), cb('k:st', id, 'k'))
  if (keyword.status !== 'discarded') keyboard.text(ctx.t('kw.discard'), cb('k:st', id, 'd'))
  if (keyword.status === 'discarded') keyboard.text(ctx.t('kw.restore'), cb('k:st', id, 'n'))
  keyboard.row()
  if (keyword.status !== 'discarded') {
    keyboard
      .text(ctx.t('gen.article'), cb('c:ga', id))
      .text(ctx.t('gen.post'), cb('c:gp', id))
      .row()
      // A post with the customer's own image: no image is drawn (src/bot/features/contentImages.ts).
      .text(ctx.t('image.post_with_own'), cb('c:im', 'k', id, 1))
      .row()
  }
  keyboard.text(ctx.t('back'), cb('k:l', projectId, 1))
  const lines = [
    `🔑 <b>${esc(keyword.phrase)}</b>`,
    `${ctx.t('kw.status')}: ${STATUS_ICON[keyword.status]} ${ctx.t(`kw.status.${keyword.status}`)}`,
    `${ctx.t('kw.cluster')}: ${esc(keyword.cluster ?? ctx.t('not_set'))}`,
    `${ctx.t('kw.source')}: ${ctx.t(`kw.source.${keyword.source}`)}`,
  ]
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/**
 * No clusters yet. Before the survey that is where to start; after it (or an import) the keywords
 * are there and clustering has not produced anything, often because it failed: say so, and offer
 * to run it again and to open the keywords meanwhile.
 */
async function showNoClusters(ctx: BotContext, projectId: number) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const { totalDocs } = await listKeywords(ctx.deps.payload, accountOf(ctx), projectId, { limit: 1 })
  const keyboard = new InlineKeyboard()
  if (totalDocs === 0 && (project.surveyAnswers ?? []).length === 0) {
    keyboard.text(ctx.t('kw.survey'), cb('k:sv', projectId)).row().text(ctx.t('back'), cb('p:o', projectId))
    return show(ctx, ctx.t('kw.no_clusters'), keyboard)
  }
  keyboard
    .text(ctx.t('kw.cluster_again'), cb('k:rc', projectId))
    .row()
    .text(ctx.t('kw.list'), cb('k:l', projectId, 1))
    .text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, ctx.t('kw.no_clusters_after_survey', { count: totalDocs }), keyboard)
}

async function showClusters(ctx: BotContext, projectId: number, page: number) {
  const clusters = await listClusters(ctx.deps.payload, accountOf(ctx), projectId)
  const keyboard = new InlineKeyboard()
  if (clusters.length === 0) return showNoClusters(ctx, projectId)
  const totalPages = Math.ceil(clusters.length / CLUSTER_PAGE_SIZE)
  const current = Math.min(page, totalPages)
  clusters
    .slice((current - 1) * CLUSTER_PAGE_SIZE, current * CLUSTER_PAGE_SIZE)
    .forEach((cluster, offset) => {
      const index = (current - 1) * CLUSTER_PAGE_SIZE + offset
      keyboard
        .text(
          `🧭 ${truncate(cluster.name, 40)} · ${cluster.kept}/${cluster.total}`,
          cb('k:cv', projectId, index, 1),
        )
        .row()
    })
  addPager(keyboard, current, totalPages, (p) => cb('k:cl', projectId, p))
  keyboard.text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, ctx.t('kw.clusters_title', { total: clusters.length }), keyboard)
}

/** Keywords: the survey, clusters and keywords by pages, keep/discard, import from text or a file. */
export const keywords = new Composer<BotContext>()

onButton(keywords, 'k:l', z.tuple([Id, Page]), (ctx, [projectId, page]) =>
  showKeywords(ctx, projectId, page),
)
onButton(keywords, 'k:o', z.tuple([Id]), (ctx, [id]) => showKeyword(ctx, id))
onButton(keywords, 'k:st', z.tuple([Id, z.enum(['k', 'd', 'n'])]), async (ctx, [id, code]) => {
  const keyword = await setKeywordStatus(ctx.deps.payload, accountOf(ctx), id, STATUS_CODES[code])
  await ctx.answerCallbackQuery({ text: ctx.t(`kw.status.${keyword.status}`) })
  await showKeyword(ctx, id)
})
onButton(keywords, 'k:cl', z.tuple([Id, Page]), (ctx, [projectId, page]) =>
  showClusters(ctx, projectId, page),
)
onButton(
  keywords,
  'k:cv',
  z.tuple([Id, z.coerce.number().int().min(0).max(5000), Page]),
  async (ctx, [projectId, index, page]) => {
    const clusters = await listClusters(ctx.deps.payload, accountOf(ctx), projectId)
    const cluster = clusters[index]
    if (!cluster) return ctx.answerCallbackQuery({ text: ctx.t('cb.invalid'), show_alert: true })
    await showKeywords(ctx, projectId, page, { index, name: cluster.name })
  },
)
onButton(keywords, 'k:rc', z.tuple([Id]), async (ctx, [projectId]) => {
  await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const job = await requestClustering(accountOf(ctx), projectId)
  ctx.log.info({ project: projectId, job: job.jobId, already: job.alreadyQueued }, 'clustering requested')
  await ctx.answerCallbackQuery()
  await say(ctx, ctx.t(job.alreadyQueued ? 'cluster.already' : 'cluster.queued'))
})
onButton(keywords, 'k:sv', z.tuple([Id]), async (ctx, [projectId]) => {
  await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  await ctx.answerCallbackQuery()
  await say(ctx, ctx.t('survey.intro'))
  await startFlow(ctx, surveyFlow, { ref: projectId })
})
onButton(keywords, 'k:im', z.tuple([Id]), async (ctx, [projectId]) => {
  await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  await ctx.answerCallbackQuery()
  await startFlow(ctx, importFlow, { ref: projectId })
})
