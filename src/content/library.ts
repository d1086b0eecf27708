import type { DataFromCollectionSlug, PaginatedDocs, Payload } from 'payload'
import { z } from 'zod'

import { lexicalToPlainText } from '../lib/text'
import type { Account, Article, Post } from '../payload-types'
import { actingAs } from '../projects/actingAs'

export type ContentCollection = 'articles' | 'posts'
export type ContentItem = Article | Post

/** What the bot's content list reads of each item, and all a list item has. */
const LIST_SELECT = { title: true, workflowStatus: true, project: true, updatedAt: true } as const
export type ContentListItem = Pick<ContentItem, 'id' | keyof typeof LIST_SELECT>

export async function listContent(
  payload: Payload,
  account: Account,
  collection: ContentCollection,
  projectId: number,
  { page = 1, limit = 6 }: { page?: number; limit?: number } = {},
): Promise<PaginatedDocs<ContentListItem>> {
  return payload.find({
    collection,
    where: { project: { equals: projectId } },
    sort: '-updatedAt',
    page,
    limit,
    depth: 0,
    select: LIST_SELECT,
    ...actingAs(account),
  })
}

export async function getContent<C extends ContentCollection>(
  payload: Payload,
  account: Account,
  collection: C,
  id: number,
): Promise<DataFromCollectionSlug<C>> {
  return payload.findByID({ collection, id, depth: 0, ...actingAs(account) })
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
