import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { idOf } from '../lib/ids'
import { getMedia } from '../media/service'
import type { Account, Article, Post } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { beingGenerated } from './generating'
import { getContent, type ContentCollection } from './library'

/** Where each kind of content keeps its images. */
const IMAGE_FIELD = { articles: 'images', posts: 'media' } as const satisfies Record<ContentCollection, string>

/** The image content shows now (the first), if any. */
export function contentImageId(collection: ContentCollection, item: Article | Post): number | null {
  const list = collection === 'articles' ? (item as Article).images : (item as Post).media
  const first = idOf(list?.[0])
  return first === null || first === undefined ? null : Number(first)
}

/**
 * Puts one of the customer's own images on an article or a post instead of the AI image. Read and
 * written as the account: an image or content of another account is not found, one of another
 * project is refused here and by the collections' ownership hook on the write. An article the AI
 * is still writing is left alone (its image step would overwrite the choice).
 */
export async function setContentImage(
  payload: Payload,
  account: Account,
  collection: ContentCollection,
  id: number,
  mediaId: number,
): Promise<Article | Post> {
  const item = await getContent(payload, account, collection, id)
  const media = await getMedia(payload, account, mediaId)
  if (Number(idOf(media.project)) !== Number(idOf(item.project)))
    throw new AppError('image.other_project', 403, account.language)
  if (collection === 'articles' && (await beingGenerated(item as Article)))
    throw new AppError('image.generating', 409, account.language)
  return payload.update({
    collection,
    id,
    data: { [IMAGE_FIELD[collection]]: [media.id] },
    depth: 0,
    ...actingAs(account),
  }) as Promise<Article | Post>
}
