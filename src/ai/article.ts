import type { Payload } from 'payload'
import { z } from 'zod'

import { t } from '../i18n'
import { JOBS } from '../jobs/contracts'
import { idOf } from '../lib/ids'
import { lexicalToPlainText, slugify } from '../lib/text'
import type { Article, Keyword, Project } from '../payload-types'
import { assertWithinDailySpend } from '../usage/spend'
import { SYSTEM_CONTEXT } from '../workflow/hooks'
import { cleanSection, clampWords, FaqAnswer, faqJsonLd, MetaAnswer, mostSimilar, OutlineAnswer, relatedArticles } from './articleParts'
import { generateJson, streamPlainText, type CallContext } from './call'
import { ChatProgress } from './chat'
import { generateIllustration } from './images'
import { loadKeyword, loadProject, MissingInputError, projectVars, surveyText, type JobRun } from './jobContext'
import { summariseCompetitors } from './competitors'
import { articleBody, markdownBlocks } from './lexical'
import { LENGTH_PRESETS, LENGTH_TARGETS } from './lengths'
import { preparePrompt } from './prompts'
import { qualitySignals } from './quality'
import { opens } from '../notify/targets'
import { env } from '../lib/env'
import { writeSections } from './sections'

/** The bot's payload plus what the article pipeline can be told (old jobs get the defaults). */
export const ArticleJob = JOBS['article.generate'].payload.extend({
  lengthPreset: z.enum(LENGTH_PRESETS).default('medium'),
  withImage: z.boolean().default(true),
})
export type ArticleJobInput = z.infer<typeof ArticleJob>

/** States in which a job picks an article up where an earlier attempt stopped. */
const RESUMABLE = ['outline', 'sections', 'finishing', 'failed'] as const
type Generation = NonNullable<Article['generation']>
type SavedSection = NonNullable<Generation['sections']>[number]

const save = (payload: Payload, id: number, data: Record<string, unknown>) =>
  payload.update({ collection: 'articles', id, data, depth: 0, context: SYSTEM_CONTEXT }) as Promise<Article>

/**
 * The article to write into: the one named, else the keyword's article that an earlier attempt
 * left unfinished or that a reviewer sent back with a note, else a new draft. A sent-back article
 * is started over with the note as input; its previous text stays in Payload's versions.
 */
async function targetArticle(payload: Payload, project: Project, keyword: Keyword, input: ArticleJobInput): Promise<{ article: Article; revision: boolean }> {
  let article: Article | null = null
  if (input.articleId) {
    article = await payload.findByID({ collection: 'articles', id: input.articleId, depth: 0, disableErrors: true })
    if (!article || Number(idOf(article.project)) !== project.id) throw new MissingInputError(`article ${input.articleId} not found in project ${project.id}`)
  } else {
    const found = await payload.find({
      collection: 'articles',
      where: {
        project: { equals: project.id },
        mainKeyword: { equals: keyword.id },
        or: [{ 'generation.state': { in: [...RESUMABLE] } }, { workflowStatus: { equals: 'changes_requested' } }],
      },
      sort: '-updatedAt',
      limit: 1,
      depth: 0,
    })
    article = found.docs[0] ?? null
  }
  if (!article) {
    const created = await payload.create({
      collection: 'articles',
      depth: 0,
      context: SYSTEM_CONTEXT,
      data: {
        title: keyword.phrase,
        project: project.id,
        mainKeyword: keyword.id,
        workflowStatus: 'draft',
        language: project.language,
        lengthPreset: input.lengthPreset,
        generation: { state: 'outline', sections: [], postedUpTo: 0 },
      } as never,
    })
    return { article: created as Article, revision: false }
  }
  const state = article.generation?.state ?? 'idle'
  if ((RESUMABLE as readonly string[]).includes(state)) return { article, revision: Boolean(article.generation?.revisionNote) }
  const note = article.workflowStatus === 'changes_requested' ? article.reviewNote ?? '' : ''
  const restarted = await save(payload, article.id, {
    outline: [],
    faq: [],
    lengthPreset: input.articleId ? input.lengthPreset : article.lengthPreset ?? input.lengthPreset,
    generation: { ...article.generation, state: 'outline', sections: [], postedUpTo: 0, revisionNote: note || null, error: null },
  })
  return { article: restarted, revision: note !== '' }
}

/** The first outline index without a saved section (the outline's length when none is missing). */
const firstGap = (length: number, saved: SavedSection[]) => {
  let index = 0
  while (index < length && saved.some((s) => s.index === index)) index += 1
  return index
}

function outlineText(outline: NonNullable<Article['outline']>): string {
  return outline.map((item) => `${item.level === 'h3' ? '    ' : ''}- ${item.heading}${item.notes ? ` — ${item.notes}` : ''}`).join('\n')
}

function bodyOf(article: Article, sections: SavedSection[], related: { title: string; url: string }[] = []) {
  const outline = article.outline ?? []
  return articleBody(
    [...sections]
      .sort((a, b) => a.index - b.index)
      .map((s) => ({ heading: s.heading, level: outline[s.index]?.level === 'h3' ? 'h3' : 'h2', markdown: s.markdown })),
    related,
    t(article.language, 'ai.article.related'),
  )
}

export type ArticleOutcome = { articleId: number; sectionsWritten: number; status: string }

/**
 * Brief → outline → sections → title, meta, FAQ, links, image and quality, then into review (or
 * approved under the automatic policy). Sections are written several at once (src/ai/sections.ts);
 * each finished one is saved at once and a retried job skips what is saved, so a crash costs at
 * most the sections that were being written.
 */
/**
 * An article for a keyword cluster also covers the cluster's other keywords: they are stored as the
 * article's secondary keywords (once, on the first attempt) and go into the brief.
 */
async function secondaryPhrases(payload: Payload, project: Project, article: Article, input: ArticleJobInput): Promise<string[]> {
  const stored = (article.secondaryKeywords ?? []).map((k) => Number(idOf(k)))
  const ids = stored.length > 0 ? stored : (input.secondaryKeywordIds ?? []).filter((id) => id !== input.keywordId)
  if (ids.length === 0) return []
  const { docs } = await payload.find({
    collection: 'keywords',
    where: { id: { in: ids }, project: { equals: project.id } },
    pagination: false,
    limit: 20,
    depth: 0,
  })
  if (stored.length === 0 && docs.length > 0) {
    await save(payload, article.id, { secondaryKeywords: docs.map((k) => k.id) })
  }
  return docs.map((k) => k.phrase)
}

export async function generateArticle(payload: Payload, input: ArticleJobInput, run: JobRun): Promise<ArticleOutcome> {
  const project = await loadProject(payload, input.accountId, input.projectId)
  const keyword = await loadKeyword(payload, project, input.keywordId)
  await assertWithinDailySpend(payload, input.accountId)
  let { article, revision } = await targetArticle(payload, project, keyword, input)
  const chat = await ChatProgress.open(payload, input.accountId, run.log, run.jobKey)
  const ctx: CallContext = {
    payload,
    scope: { accountId: input.accountId, projectId: project.id, articleId: article.id, jobKey: run.jobKey },
    log: run.log.child({ articleId: article.id }),
    signal: run.signal,
  }
  const language = article.language ?? project.language
  const target = LENGTH_TARGETS[article.lengthPreset ?? input.lengthPreset]
  const revisionNote = article.generation?.revisionNote ?? ''
  const resumedAt = article.generation?.sections?.length ?? 0
  await (resumedAt > 0
    ? chat.status('ai.article.resumed', { title: article.title, done: resumedAt, total: article.outline?.length ?? resumedAt })
    : revision
      ? chat.status('ai.article.revision', { title: article.title, note: revisionNote })
      : chat.status('ai.article.started', { keyword: keyword.phrase }))
  const saved: SavedSection[] = []
  let written = 0
  try {

    let generation: Generation = { ...article.generation }
    if (!generation.brief) {
      const secondary = await secondaryPhrases(payload, project, article, input)
      const competitors = await summariseCompetitors((project.competitorUrls ?? []).map((c) => c.url), ctx.log)
      const brief = [
        project.description ? `About the business: ${project.description}` : '',
        project.audience ? `Audience: ${project.audience}` : '',
        secondary.length > 0 ? `Secondary keywords to cover naturally: ${secondary.join(', ')}` : '',
        surveyText(project) ? `Owner's answers:\n${surveyText(project)}` : '',
        competitors ? `Competitor pages:\n${competitors}` : 'Competitor pages: none given.',
      ]
        .filter(Boolean)
        .join('\n\n')
        .slice(0, 8000)
      generation = { ...generation, brief }
      article = await save(payload, article.id, { generation })
    }

    if ((article.outline ?? []).length === 0 || generation.state === 'outline') {
      const messages = await preparePrompt(payload, 'article.outline', language, {
        project: projectVars(project),
        keyword: keyword.phrase,
        brief: generation.brief,
        lengthWords: target.words,
        sectionsMin: target.sections[0],
        sectionsMax: target.sections[1],
        revisionNote,
      })
      const answer = await generateJson('article.outline', ctx, messages, OutlineAnswer)
      generation = { ...generation, state: 'sections', sections: [], postedUpTo: 0 }
      article = await save(payload, article.id, {
        title: clampWords(answer.title, 200),
        outline: answer.outline.slice(0, target.sections[1] + 4).map((o) => ({ level: o.level, heading: o.heading, notes: o.notes?.slice(0, 1000) })),
        generation,
      })
    }
    const outline = article.outline ?? []
    await chat.status('ai.article.outline_ready', { count: outline.length })

    saved.push(...(generation.sections ?? []))
    const sectionWords = Math.max(120, Math.round(target.words / Math.max(1, outline.length)))
    // The sections still to write, in outline order, several at once (see writeSections).
    const missing = outline.flatMap((_, index) => (saved.some((s) => s.index === index) ? [] : [index]))
    const covers = (index: number) => {
      const item = outline[index]
      return item ? `«${item.heading}»${item.notes ? ` (${item.notes})` : ''}` : ''
    }
    written = await writeSections({
      missing,
      total: outline.length,
      limit: env().AI_SECTION_CONCURRENCY,
      chat,
      ctx,
      accountId: input.accountId,
      headingOf: (index) => outline[index]!.heading,
      prompt: (index) =>
        preparePrompt(payload, 'article.section', language, {
          project: projectVars(project),
          keyword: keyword.phrase,
          title: article.title,
          outline: outlineText(outline),
          brief: generation.brief,
          section: { heading: outline[index]!.heading, notes: outline[index]!.notes ?? '', index: index + 1, total: outline.length },
          sectionWords,
          before: covers(index - 1),
          after: covers(index + 1),
          previous: saved.find((s) => s.index === index - 1)?.markdown.slice(-400) ?? '',
          revisionNote,
        }),
      write: (index, messages, onText) =>
        streamPlainText('article.section', { ...ctx, scope: { ...ctx.scope, jobKey: `${run.jobKey}#section-${index + 1}` } }, messages, onText),
      // Saves go one after another, each with every section finished so far: a section finished
      // at the same moment as another is never overwritten by the other's save.
      keep: async (index, text) => {
        const markdown = cleanSection(text, outline[index]!.heading)
        saved.push({ index, heading: outline[index]!.heading, markdown })
        generation = { ...generation, state: 'sections', sections: [...saved].sort((a, b) => a.index - b.index) }
        article = await save(payload, article.id, { generation, body: bodyOf(article, saved) })
        return markdown
      },
      doneCount: () => saved.length,
      saved: new Map(saved.map((s) => [s.index, s.markdown])),
      // Articles begun before this was recorded: the chat had the saved sections up to the first gap.
      postedUpTo: generation.postedUpTo ?? firstGap(outline.length, saved),
      markPosted: async (upTo) => {
        generation = { ...generation, postedUpTo: upTo }
        article = await save(payload, article.id, { generation })
      },
    })

    await chat.status('ai.article.finishing')
    generation = { ...generation, state: 'finishing' }
    const plain = lexicalToPlainText(bodyOf(article, saved))
    const meta = await generateJson(
      'article.meta',
      ctx,
      await preparePrompt(payload, 'article.meta', language, { keyword: keyword.phrase, title: article.title, outline: outlineText(outline), opening: plain.slice(0, 1200) }),
      MetaAnswer,
    )
    const faq = await generateJson(
      'article.faq',
      ctx,
      await preparePrompt(payload, 'article.faq', language, { keyword: keyword.phrase, title: meta.title, outline: outlineText(outline) }),
      FaqAnswer,
    )
    const faqItems = faq.items.map((i) => ({ question: clampWords(i.question, 300), answer: clampWords(i.answer, 2000) }))
    const related = await relatedArticles(payload, project, article, `${keyword.phrase} ${meta.title}`)
    const body = bodyOf(article, saved, related)
    const text = lexicalToPlainText(body)
    const ordered = [...saved].sort((a, b) => a.index - b.index)
    const firstParagraph = ordered[0] ? lexicalToPlainText({ root: { children: markdownBlocks(ordered[0].markdown).slice(0, 1) } }) : ''
    const quality = {
      ...qualitySignals({
        title: meta.title,
        h2s: outline.filter((o) => o.level !== 'h3').map((o) => o.heading),
        paragraphs: [firstParagraph],
        text,
        keyword: keyword.phrase,
        language: language === 'en' ? 'en' : 'ru',
      }),
      ...(await mostSimilar(payload, project.id, article.id, text)),
    }
    let images = (article.images ?? []).map((m) => Number(idOf(m)))
    let imageError: string | null = null
    if (input.withImage && images.length === 0) {
      const alt = clampWords(meta.imageAlt ?? meta.title, 300)
      const image = await generateIllustration(payload, ctx, project, { subject: meta.title, alt })
      if ('mediaId' in image) images = [image.mediaId]
      else imageError = `image: ${image.skipped}`
    }

    article = await save(payload, article.id, {
      title: clampWords(meta.title, 200),
      slug: slugify(meta.slug || meta.title) || slugify(keyword.phrase),
      metaTitle: clampWords(meta.metaTitle, 60),
      metaDescription: clampWords(meta.metaDescription, 160),
      excerpt: meta.excerpt ? clampWords(meta.excerpt, 500) : undefined,
      faq: faqItems,
      faqJsonLd: faqJsonLd(faqItems),
      internalLinks: related,
      body,
      images,
      quality,
      generation: { ...generation, state: 'done', error: imageError },
      workflowStatus: 'in_review',
    })
    if (keyword.status === 'new' || keyword.status === 'planned') {
      await payload.update({ collection: 'keywords', id: keyword.id, data: { status: 'used' }, depth: 0 })
    }
    await chat.say('ai.article.done', {
      title: article.title,
      words: article.wordCount ?? 0,
      sections: saved.length,
      readability: quality.readability,
      occurrences: quality.keywordOccurrences,
      status: t(chat.language, `status.${article.workflowStatus}`),
    }, [{ key: 'ai.open_article', data: opens.article(article.id) }])
  } catch (error) {
    // A shutdown stops the job mid-article: the customer hears it is paused, not a dead draft.
    if (run.signal?.aborted) {
      await chat.say('ai.article.paused', { title: article.title, done: saved.length, total: article.outline?.length ?? saved.length })
      await chat.detach()
    }
    throw error
  }
  run.log.info({ articleId: article.id, written, status: article.workflowStatus }, 'article generated')
  return { articleId: article.id, sectionsWritten: written, status: article.workflowStatus }
}

/** Marks the article of a failed job so staff see why (best effort). */
export async function markArticleFailed(payload: Payload, input: ArticleJobInput, reason: string) {
  const found = await payload.find({
    collection: 'articles',
    where: { project: { equals: input.projectId }, mainKeyword: { equals: input.keywordId }, 'generation.state': { in: ['outline', 'sections', 'finishing'] } },
    limit: 1,
    depth: 0,
    sort: '-updatedAt',
  })
  const article = found.docs[0]
  if (!article) return
  await save(payload, article.id, { generation: { ...article.generation, state: 'failed', error: reason.slice(0, 2000) } })
}
