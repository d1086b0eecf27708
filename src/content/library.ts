import type { PaginatedDocs, Payload } from 'payload'

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
