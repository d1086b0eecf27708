import type { Endpoint } from 'payload'

import { isStaff } from '../access/actors'
import { env } from '../lib/env'
import { chatApi } from '../telegram/client'

/**
 * GET /api/support-messages/:id/photo: the photo a customer sent to support, fetched from
 * Telegram for staff (the bot token never reaches the browser). Staff with the admin or support
 * role only; anyone else gets a 404 like a missing photo.
 */
export const supportPhotoEndpoint: Endpoint = {
  path: '/:id/photo',
  method: 'get',
  handler: async (req) => {
    const id = Number(req.routeParams?.id)
    if (!isStaff(req, 'admin', 'support') || !Number.isSafeInteger(id) || id <= 0) return Response.json({ errors: [{ message: 'Not Found' }] }, { status: 404 })
    const message = await req.payload.findByID({ collection: 'support-messages', id, depth: 0, overrideAccess: true, disableErrors: true })
    const token = env().TELEGRAM_BOT_TOKEN
    if (!message?.photoFileId || !token) return Response.json({ errors: [{ message: 'Not Found' }] }, { status: 404 })
    const file = await chatApi().getFile(message.photoFileId)
    if (!file.file_path) return Response.json({ errors: [{ message: 'Not Found' }] }, { status: 404 })
    const upstream = await fetch(`${env().TELEGRAM_API_ROOT.replace(/\/$/, '')}/file/bot${token}/${file.file_path}`, { signal: AbortSignal.timeout(15_000) })
    if (!upstream.ok) return Response.json({ errors: [{ message: 'Photo unavailable' }] }, { status: 502 })
    return new Response(upstream.body, { headers: { 'content-type': upstream.headers.get('content-type') ?? 'image/jpeg', 'cache-control': 'private, max-age=3600' } })
  },
}
