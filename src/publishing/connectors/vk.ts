import { readFile } from 'node:fs/promises'
import path from 'node:path'

import { z } from 'zod'

import type { Connector, PublishItem, PublishResult } from '../connector'
import { lookupSince, markerToken, PublishError } from '../connector'
import type { Credentials } from '../credentials'
import { httpCall, statusFailure } from '../http'
import { PLATFORM_TEXT_LIMITS } from '../platforms'
import { vkCall, vkFailure } from '../vkApi'

type VkCredentials = Credentials<'vk'>

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif']
const MAX_ATTACHMENTS = 10
/** wall.get pages (100 posts, its largest) a lookup reads at most. */
const LOOKUP_PAGES = 5
const LOOKUP_PAGE_SIZE = 100

const UploadServer = z.object({ upload_url: z.url() })
const Uploaded = z.object({ server: z.union([z.number(), z.string()]), photo: z.string().min(3), hash: z.string() })
const SavedPhotos = z.array(z.object({ id: z.number(), owner_id: z.number() })).min(1)
const Posted = z.object({ post_id: z.number() })
const Wall = z.object({
  items: z.array(z.object({ id: z.number(), text: z.string().optional(), date: z.number().optional(), is_pinned: z.union([z.number(), z.boolean()]).optional() })),
})

/** The wall text: the post's text, or an article's title and text. */
function messageOf(item: PublishItem): string {
  return (item.kind === 'article' ? `${item.title}\n\n${item.text}` : item.text).trim()
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim()

/** photos.getWallUploadServer -> multipart upload -> photos.saveWallPhoto, as `photo<owner>_<id>`. */
async function uploadPhoto({ groupId, accessToken }: VkCredentials, image: PublishItem['images'][number]): Promise<string> {
  const server = UploadServer.safeParse(await vkCall('photos.getWallUploadServer', { group_id: groupId }, accessToken))
  if (!server.success) throw new PublishError('retry', 'vk.unreadable', 'photos.getWallUploadServer: unexpected answer')
  const form = new FormData()
  const data = await readFile(image.path)
  form.append('photo', new Blob([new Uint8Array(data)], { type: image.mimeType }), path.basename(image.path))
  const answer = await httpCall('vk', server.data.upload_url, { method: 'POST', body: form })
  const failure = statusFailure('vk', answer, `photo upload: HTTP ${answer.status}`)
  if (failure) throw failure
  // The upload server answers JSON, often labelled text/html.
  let body: unknown
  try {
    body = JSON.parse(answer.text)
  } catch {
    body = undefined
  }
  const uploaded = Uploaded.safeParse(body)
  if (!uploaded.success || uploaded.data.photo === '[]') {
    const error = body as { error?: string } | undefined
    throw new PublishError('bad_request', 'vk.photo_rejected', `photo upload: ${error?.error ?? `HTTP ${answer.status}`}`)
  }
  const saved = SavedPhotos.safeParse(
    await vkCall('photos.saveWallPhoto', { group_id: groupId, server: uploaded.data.server, photo: uploaded.data.photo, hash: uploaded.data.hash, caption: image.alt }, accessToken),
  )
  if (!saved.success) throw new PublishError('retry', 'vk.unreadable', 'photos.saveWallPhoto: unexpected answer')
  return `photo${saved.data[0].owner_id}_${saved.data[0].id}`
}

const wallUrl = (groupId: number, postId: number) => `https://vk.com/wall-${groupId}_${postId}`

/**
 * A post on a VK community's wall as the community (owner_id=-group, from_group=1), photos
 * uploaded first through the wall upload server. `guid` makes VK itself drop a repeat within an
 * hour; an unconfirmed post is found again by its text among the wall's latest posts.
 */
export const vkConnector: Connector<'vk'> = {
  platform: 'vk',
  validate(item) {
    const problems: string[] = []
    const message = messageOf(item)
    if (!message && item.images.length === 0) problems.push('vk.empty')
    if (message.length > PLATFORM_TEXT_LIMITS.vk!) problems.push('vk.text_too_long')
    if (item.images.length + (item.link ? 1 : 0) > MAX_ATTACHMENTS) problems.push('vk.too_many_images')
    if (item.images.some((image) => !IMAGE_TYPES.includes(image.mimeType))) problems.push('vk.image_type')
    return problems
  },
  async publish(item, credentials) {
    const attachments: string[] = []
    for (const image of item.images) attachments.push(await uploadPhoto(credentials, image))
    if (item.link) attachments.push(item.link)
    const response = await vkCall(
      'wall.post',
      {
        owner_id: -credentials.groupId,
        from_group: 1,
        message: messageOf(item),
        attachments: attachments.length ? attachments.join(',') : undefined,
        guid: markerToken(item.marker),
      },
      credentials.accessToken,
      { mutation: true },
    )
    const posted = Posted.safeParse(response)
    if (!posted.success) throw new PublishError('unconfirmed', 'vk.unreadable', 'wall.post: no post_id in the answer')
    return { remoteId: `-${credentials.groupId}_${posted.data.post_id}`, remoteUrl: wallUrl(credentials.groupId, posted.data.post_id) }
  },
  async lookup(item, credentials) {
    const wanted = normalize(messageOf(item))
    // A photo-only post has no text to recognise it by: a person checks it.
    if (!wanted) return []
    const since = lookupSince(item) / 1000
    const found: PublishResult[] = []
    // Newest first, page by page, until the posts are older than the first call (a pinned
    // post comes first whatever its age, so it never ends the search).
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const wall = Wall.safeParse(
        await vkCall('wall.get', { owner_id: -credentials.groupId, count: LOOKUP_PAGE_SIZE, offset: page * LOOKUP_PAGE_SIZE, filter: 'owner' }, credentials.accessToken),
      )
      if (!wall.success) throw vkFailure(1, 'wall.get: unexpected answer')
      for (const post of wall.data.items) {
        if (normalize(post.text ?? '') === wanted && (post.date ?? 0) >= since) {
          found.push({ remoteId: `-${credentials.groupId}_${post.id}`, remoteUrl: wallUrl(credentials.groupId, post.id) })
        }
      }
      const older = wall.data.items.some((post) => !post.is_pinned && (post.date ?? 0) < since)
      if (older || wall.data.items.length < LOOKUP_PAGE_SIZE) break
    }
    return found
  },
}
