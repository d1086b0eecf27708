import path from 'node:path'

import { faqJsonLd } from '../ai/articleParts'
import { env } from '../lib/env'
import { lexicalToPlainText, trimSlash } from '../lib/text'
import type { Article, Keyword, Media, Post, Publication } from '../payload-types'
import type { PublishImage, PublishItem } from './connector'
import { richTextToHtml } from './html'
import { signedMediaUrl } from './publicMedia'

const MAX_TAGS = 10

/**
 * Where a platform that fetches images by URL (Instagram) finds the file: the public media base
 * when configured (a CDN or bucket), else a signed, expiring link to this server's
 * /api/public-media route (media itself stays private). Either must be reachable from the internet.
 */
export function publicMediaUrl(media: Media): string | null {
  const { PUBLIC_MEDIA_BASE_URL } = env()
  if (!media.filename) return null
  if (PUBLIC_MEDIA_BASE_URL) return `${trimSlash(PUBLIC_MEDIA_BASE_URL)}/${encodeURIComponent(media.filename)}`
  return signedMediaUrl(media.id, media.filename)
}

function mediaItems(media: (number | Media)[] | null | undefined): PublishImage[] {
  return (media ?? [])
    .filter((m): m is Media => typeof m === 'object' && m !== null && typeof m.filename === 'string')
    .map((m) => ({
      path: path.resolve(process.cwd(), env().MEDIA_DIR, m.filename!),
      alt: m.alt,
      mimeType: m.mimeType ?? 'image/jpeg',
      url: publicMediaUrl(m),
    }))
}

const keyword = (k: number | Keyword | null | undefined): Keyword | null => (typeof k === 'object' && k !== null ? k : null)

/**
 * What goes out for one publication, from its article or post (loaded with depth 1): the
 * article's HTML, SEO fields, keyword tags, FAQ and its FAQPage JSON-LD for a CMS; the platform's
 * variant text for a post, with `articleUrl` (the live address of the article it was made from)
 * as its link. A planned instant still in the future lets WordPress hold the post until then.
 */
export function publishItemFor(
  platform: string,
  content: { article?: Article; post?: Post; articleUrl?: string | null },
  publication: Pick<Publication, 'id' | 'plannedAt' | 'marker' | 'sentAt'>,
  now = Date.now(),
): PublishItem {
  const marker = publication.marker ?? ''
  const sentAt = publication.sentAt ?? null
  const publishAt = new Date(publication.plannedAt).getTime() > now + 60_000 ? publication.plannedAt : null
  if (content.article) {
    const a = content.article
    const plain = lexicalToPlainText(a.body)
    const main = keyword(a.mainKeyword)
    const tags = [main, ...(a.secondaryKeywords ?? []).map(keyword)]
      .filter((k): k is Keyword => k !== null)
      .map((k) => k.phrase.trim())
      .filter((phrase, i, all) => phrase && all.indexOf(phrase) === i)
      .slice(0, MAX_TAGS)
    const faq = (a.faq ?? []).map(({ question, answer }) => ({ question, answer })).filter((f) => f.question.trim() && f.answer.trim())
    return {
      kind: 'article',
      title: a.title,
      text: a.excerpt || plain,
      html: richTextToHtml(a.body, plain || a.excerpt || ''),
      richText: a.body,
      slug: a.slug,
      excerpt: a.excerpt,
      metaTitle: a.metaTitle,
      metaDescription: a.metaDescription,
      tags,
      // The main keyword's cluster is the article's topic: the natural category on a blog.
      categories: main?.cluster ? [main.cluster] : [],
      publishAt,
      images: mediaItems(a.images),
      // The structured data is built from the FAQ that goes out (staff may have edited it since
      // generation): search engines want FAQ markup to match the questions shown on the page.
      faq,
      faqJsonLd: faq.length > 0 ? faqJsonLd(faq) : null,
      language: a.language,
      marker,
      sentAt,
    }
  }
  const p = content.post!
  const variant = p.variants?.find((v) => v.platform === platform)
  return { kind: 'post', title: p.title, text: variant?.text ?? '', link: content.articleUrl ?? null, images: mediaItems(p.media), marker, sentAt, publishAt }
}
