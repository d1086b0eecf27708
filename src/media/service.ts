import type { Payload } from 'payload'

import type { Account, Media } from '../payload-types'
import { actingAs } from '../projects/actingAs'

/**
 * A project's image library, for posts: every call acts as the account, so its access rules
 * decide what is visible and changeable, whichever face asks (the bot, the admin, the API).
 */
export const EXTENSIONS = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const
export type ImageType = keyof typeof EXTENSIONS
/** The type the bytes really are (magic numbers), whatever name or type the sender claimed. */
export function sniffImage(bytes: Buffer): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return 'image/jpeg'
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')))
    return 'image/png'
  if (
    bytes.length >= 12 &&
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp'
  return null
}


export function listMedia(payload: Payload, account: Account, projectId: number, page: number, limit: number) {
  return payload.find({
    collection: 'media',
    where: { project: { equals: projectId } },
    sort: '-createdAt',
    page,
    limit,
    depth: 0,
    ...actingAs(account),
  })
}

export function getMedia(payload: Payload, account: Account, id: number): Promise<Media> {
  return payload.findByID({ collection: 'media', id, depth: 0, ...actingAs(account) })
}

export function setMediaAlt(payload: Payload, account: Account, id: number, alt: string): Promise<Media> {
  return payload.update({ collection: 'media', id, data: { alt }, depth: 0, ...actingAs(account) })
}

/** Saves checked image bytes under a safe file name into the project's library. */
export function saveImage(
  payload: Payload,
  account: Account,
  projectId: number,
  image: { bytes: Buffer; type: ImageType; name: string; alt: string },
): Promise<Media> {
  const base = image.name.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 80) || 'image'
  return payload.create({
    collection: 'media',
    data: { alt: image.alt, project: projectId } as never,
    file: { data: image.bytes, mimetype: image.type, name: `${base}.${EXTENSIONS[image.type]}`, size: image.bytes.length },
    depth: 0,
    ...actingAs(account),
  })
}

export async function deleteMedia(payload: Payload, account: Account, id: number): Promise<void> {
  await payload.delete({ collection: 'media', id, depth: 0, ...actingAs(account) })
}
