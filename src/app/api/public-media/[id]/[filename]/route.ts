import { readFile } from 'node:fs/promises'
import path from 'node:path'

import config from '@payload-config'
import { getPayload } from 'payload'
import { z } from 'zod'

import { env } from '../../../../../lib/env'
import { logger } from '../../../../../lib/logger'
import { checkSignedMedia } from '../../../../../publishing/publicMedia'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

const Params = z.object({ id: z.coerce.number().int().positive(), filename: z.string().min(1).max(255) })
const Query = z.object({ expires: z.coerce.number().int().positive(), sig: z.string().regex(/^[\w-]{43}$/) })

/** One media file for a platform that fetches images by URL, behind a signed, expiring link. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; filename: string }> }) {
  const route = Params.safeParse(await params)
  const query = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams))
  if (!route.success || !query.success) return Response.json({ ok: false, error: 'bad link' }, { status: 400 })
  const filename = decodeURIComponent(route.data.filename)
  const check = checkSignedMedia(route.data.id, filename, query.data.expires, query.data.sig)
  if (check !== 'ok') return Response.json({ ok: false, error: `link ${check}` }, { status: check === 'expired' ? 410 : 403 })
  const payload = await getPayload({ config })
  // System read: the signature, not a session, grants access to exactly this one file.
  const media = await payload.findByID({ collection: 'media', id: route.data.id, depth: 0, overrideAccess: true, disableErrors: true })
  if (!media || media.filename !== filename) return Response.json({ ok: false, error: 'not found' }, { status: 404 })
  try {
    const content = await readFile(path.resolve(process.cwd(), env().MEDIA_DIR, path.basename(filename)))
    return new Response(new Uint8Array(content), {
      headers: {
        'content-type': media.mimeType ?? 'application/octet-stream',
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      },
    })
  } catch (error) {
    logger().warn({ err: error, media: media.id }, 'public media file missing on disk')
    return Response.json({ ok: false, error: 'not found' }, { status: 404 })
  }
}
