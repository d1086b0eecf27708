import type { Payload } from 'payload'
import { z } from 'zod'

import { idOf } from '../lib/ids'
import { lexicalToPlainText, trimSlash } from '../lib/text'
import type { Article, Project } from '../payload-types'
import { jaccard, keywordOccurrences, shingles } from './quality'

export const OutlineAnswer = z.object({
  title: z.string().trim().min(3).max(300),
  outline: z
    .array(
      z.object({
        level: z.enum(['h2', 'h3']).catch('h2'),
        heading: z.string().trim().min(2).max(200),
        notes: z.string().trim().max(1000).optional().catch(undefined),
      }),
    )
    .min(2)
    .max(40),
})

export const MetaAnswer = z.object({
  title: z.string().trim().min(3).max(300),
  slug: z.string().trim().max(200).optional().catch(undefined),
  metaTitle: z.string().trim().min(3).max(300),
  metaDescription: z.string().trim().min(10).max(600),
  excerpt: z.string().trim().max(1000).optional().catch(undefined),
  imageAlt: z.string().trim().max(300).optional().catch(undefined),
})

export const FaqAnswer = z.object({
  items: z
    .array(z.object({ question: z.string().trim().min(3).max(300), answer: z.string().trim().min(2).max(2000) }))
    .min(1)
    .max(20),
})

/** Cut at a word boundary to at most `max` characters (no ellipsis: meta tags are read whole). */
export function clampWords(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  if (clean.length <= max) return clean
  const cut = clean.slice(0, max + 1)
  const space = cut.lastIndexOf(' ')
  return (space > max * 0.6 ? cut.slice(0, space) : clean.slice(0, max)).replace(/[\s,.;:–—-]+$/, '')
}

/** schema.org FAQPage for the FAQ block. */
export function faqJsonLd(items: { question: string; answer: string }[]) {
  return {
    '@context': 'https://schema.org',
    '@type': 'FAQPage',
    mainEntity: items.map((item) => ({
      '@type': 'Question',
      name: item.question,
      acceptedAnswer: { '@type': 'Answer', text: item.answer },
    })),
  }
}

/** A model often repeats the section heading on top of the section: drop it. */
export function cleanSection(markdown: string, heading: string): string {
  const lines = markdown.replace(/\r/g, '').trim().split('\n')
  const first = (lines[0] ?? '').replace(/^#+\s*/, '').replace(/\*\*/g, '').trim().toLowerCase()
  if (first === heading.trim().toLowerCase()) lines.shift()
  return lines.join('\n').trim()
}

/**
 * Links to the project's own published articles that share words with this one (at most three,
 * most related first). The address is where it was published, else the site's URL and slug.
 */
export async function relatedArticles(
  payload: Payload,
  project: Project,
  article: Article,
  topic: string,
): Promise<{ title: string; url: string }[]> {
  const { docs } = await payload.find({
    collection: 'articles',
    where: { project: { equals: project.id }, workflowStatus: { equals: 'published' }, id: { not_equals: article.id } },
    limit: 100,
    depth: 0,
    select: { title: true, slug: true },
  })
  const scored = docs
    .map((doc) => ({ doc, score: topic.split(/\s+/).filter((w) => w.length > 3 && keywordOccurrences(doc.title, w) > 0).length }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 3)
  const links: { title: string; url: string }[] = []
  for (const { doc } of scored) {
    const published = await payload.find({
      collection: 'publications',
      where: { article: { equals: doc.id }, status: { equals: 'published' }, remoteUrl: { exists: true } },
      limit: 1,
      depth: 0,
      sort: '-updatedAt',
    })
    const remote = published.docs[0]?.remoteUrl
    const url = remote ?? (project.siteUrl && doc.slug ? `${trimSlash(project.siteUrl)}/${doc.slug}` : null)
    if (url) links.push({ title: doc.title, url })
  }
  return links
}

/** The highest shingle overlap with another article of the project, and which one. */
export async function mostSimilar(payload: Payload, projectId: number, articleId: number, text: string) {
  const { docs } = await payload.find({
    collection: 'articles',
    where: { project: { equals: projectId }, id: { not_equals: articleId } },
    limit: 200,
    depth: 0,
    select: { body: true },
  })
  const mine = shingles(text)
  let best = { score: 0, id: null as number | null }
  for (const doc of docs) {
    const score = jaccard(mine, shingles(lexicalToPlainText(doc.body)))
    if (score > best.score) best = { score, id: Number(idOf(doc.id)) }
  }
  return { maxSimilarity: Math.round(best.score * 1000) / 1000, similarTo: best.id }
}
