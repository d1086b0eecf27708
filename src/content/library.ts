import type { PaginatedDocs, Payload } from 'payload'
import { z } from 'zod'

import { lexicalToPlainText } from '../lib/text'
import type { Account, Article, Post } from '../payload-types'
import { actingAs } from '../projects/actingAs'

export type ContentCollection = 'articles' | 'posts'
export type ContentItem = Article | Post

export async function listContent<C extends ContentCollection>(
  payload: Payload,
  account: Account,
  collection: C,
  projectId: number,
  { page = 1, limit = 6 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<C extends 'articles' ? Article : Post>> {
  const result = await payload.find({
    collection,
    where: { project: { equals: projectId } },
    sort: '-updatedAt',
    page,
    limit,
    depth: 0,
    select: { title: true, workflowStatus: true, project: true, updatedAt: true },
    ...actingAs(account),
  })
  return result as unknown as PaginatedDocs<C extends 'articles' ? Article : Post>
}

export async function getContent<C extends ContentCollection>(
  payload: Payload,
  account: Account,
  collection: C,
  id: number,
): Promise<C extends 'articles' ? Article : Post> {
  const doc = await payload.findByID({ collection, id, depth: 0, ...actingAs(account) })
  return doc as unknown as C extends 'articles' ? Article : Post
}

/** The readable text of an item: an article's title, excerpt, body and FAQ; a post's variants. */
export function contentText(collection: ContentCollection, item: ContentItem): string {
  if (collection === 'posts') {
    const post = item as Post
    return [post.title, ...(post.variants ?? []).map((v) => `[${v.platform}]\n${v.text}`)].join(
      '\n\n',
    )
  }
  const article = item as Article
  const faq = (article.faq ?? []).map((f) => `${f.question}\n${f.answer}`)
  return [article.title, article.excerpt ?? '', lexicalToPlainText(article.body), ...faq]
    .filter((s) => s.trim() !== '')
    .join('\n\n')
}

/** What a customer may retitle from the bot: the article's title and search snippet. */
export const ArticleMetaEdit = {
  title: z.string().trim().min(3).max(200),
  metaTitle: z.string().trim().min(10).max(60),
  metaDescription: z.string().trim().min(50).max(160),
} as const
export type ArticleMetaField = keyof typeof ArticleMetaEdit

/**
 * Changes one of those fields as the account. The collection's hooks keep a version and, where
 * the project's policy is not automatic, send approved content back to review.
 */
export async function editArticleMeta(
  payload: Payload,
  account: Account,
  id: number,
  field: ArticleMetaField,
  value: string,
): Promise<Article> {
  const parsed = ArticleMetaEdit[field].parse(value)
  return payload.update({ collection: 'articles', id, data: { [field]: parsed }, depth: 0, ...actingAs(account) })
}
