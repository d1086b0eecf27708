import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { idOf } from '../../lib/ids'
import { deleteMedia, EXTENSIONS, getMedia, listMedia, saveImage, setMediaAlt, sniffImage } from '../../media/service'
import type { Media } from '../../payload-types'
import { getProject } from '../../projects/service'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { leaveFlow, startFlow, type FlowDef } from '../flows/engine'
import { addPager, esc, say, show, truncate } from '../ui'

const PAGE_SIZE = 6
/** Telegram lets bots download files up to 20 MB; images for posts never need more than this. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024
const DOWNLOAD_TIMEOUT_MS = 30_000

function sizeText(bytes: number | null | undefined): string {
  const value = bytes ?? 0
  return value >= 1024 * 1024
    ? `${(value / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(value / 1024)} KB`
}

export async function showMedia(ctx: BotContext, projectId: number, page: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const result = await listMedia(ctx.deps.payload, accountOf(ctx), projectId, page, PAGE_SIZE)
  const lines = [ctx.t('media.title', { project: project.name, total: result.totalDocs })]
  if (result.totalDocs === 0) lines.push('', ctx.t('media.empty'))
  const keyboard = new InlineKeyboard()
  result.docs.forEach((media, index) => {
    const n = ((result.page ?? page) - 1) * PAGE_SIZE + index + 1
    const dims = media.width && media.height ? `${media.width}×${media.height}, ` : ''
    lines.push(
      '',
      `${n}. 🖼 ${esc(truncate(media.alt, 120))}`,
      `   <i>${esc(media.filename ?? '')} · ${dims}${sizeText(media.filesize)}</i>`,
    )
    keyboard.text(ctx.t('media.delete', { n }), cb('md:d', media.id))
    if (index % 2 === 1) keyboard.row()
  })
  keyboard.row()
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('md:l', projectId, p))
  keyboard
    .text(ctx.t('media.upload'), cb('md:u', projectId))
    .text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/** Waits for an image; text is answered with what is expected (the image itself is taken below). */
export const mediaUploadFlow: FlowDef = {
  name: 'media.upload',
  steps: () => [
    {
      key: 'file',
      prompt: (ctx) => ctx.t('media.ask_file', { mb: MAX_IMAGE_BYTES / 1024 / 1024 }),
      schema: z.string().refine(() => false, 'image_expected'),
    },
  ],
  finish: async () => undefined,
}

/** The alt text of an image just saved: typed, or skipped to keep the default. */
export const mediaAltFlow: FlowDef = {
  name: 'media.alt',
  steps: () => [
    {
      key: 'alt',
      prompt: (ctx, flow) => ctx.t('media.ask_alt', { current: flow.data.alt ?? '' }),
      schema: z.string().trim().max(300),
      optional: 'skip',
    },
  ],
  finish: async (ctx, flow, alt) => {
    const media = await getMedia(ctx.deps.payload, accountOf(ctx), flow.ref!)
    if (alt) {
      await setMediaAlt(ctx.deps.payload, accountOf(ctx), media.id, alt)
    }
    await showMedia(ctx, Number(idOf(media.project)), 1, ctx.t('media.saved'))
  },
}

type Incoming = { fileId: string; name: string; declaredSize: number; declaredType?: string }

function incomingFile(ctx: BotContext): Incoming | null {
  const message = ctx.message
  const photo = message?.photo?.at(-1)
  if (photo) {
    return {
      fileId: photo.file_id,
      name: `photo-${photo.file_unique_id}.jpg`,
      declaredSize: photo.file_size ?? 0,
      declaredType: 'image/jpeg',
    }
  }
  const document = message?.document
  if (!document) return null
  return {
    fileId: document.file_id,
    name: document.file_name ?? `image-${document.file_unique_id}`,
    declaredSize: document.file_size ?? 0,
    declaredType: document.mime_type,
  }
}

async function refuse(ctx: BotContext, key: string) {
  const keyboard = new InlineKeyboard().text(ctx.t('flow.cancel'), 'f:x')
  await say(
    ctx,
    `⚠️ ${ctx.t(key, { mb: MAX_IMAGE_BYTES / 1024 / 1024 })}\n\n${ctx.t('media.ask_file', { mb: MAX_IMAGE_BYTES / 1024 / 1024 })}`,
    keyboard,
  )
}

async function download(ctx: BotContext, fileId: string): Promise<Buffer | null> {
  const file = await ctx.api.getFile(fileId)
  if (!file.file_path) return null
  const response = await fetch(ctx.deps.fileUrl(file.file_path), {
    signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
  })
  if (!response.ok) return null
  const bytes = Buffer.from(await response.arrayBuffer())
  return bytes
}

/**
 * An image the customer just sent, checked by its declared type and size, then by its real
 * bytes, and saved into the project's library as the account. A refusal is told (with the
 * question asked again) and answers null.
 */
export async function takeImage(ctx: BotContext, projectId: number): Promise<Media | null> {
  const incoming = incomingFile(ctx)
  if (!incoming) return refuse(ctx, 'media.type').then(() => null)
  if (incoming.declaredType && !(incoming.declaredType in EXTENSIONS))
    return refuse(ctx, 'media.type').then(() => null)
  if (incoming.declaredSize > MAX_IMAGE_BYTES) return refuse(ctx, 'media.too_big').then(() => null)
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const bytes = await download(ctx, incoming.fileId).catch((error) => {
    ctx.log.warn({ err: error }, 'image download failed')
    return null
  })
  if (!bytes) return refuse(ctx, 'media.unreadable').then(() => null)
  if (bytes.length > MAX_IMAGE_BYTES) return refuse(ctx, 'media.too_big').then(() => null)
  const type = sniffImage(bytes)
  if (!type) return refuse(ctx, 'media.type').then(() => null)
  const caption = ctx.message?.caption?.trim()
  const alt = truncate(caption || ctx.t('media.default_alt', { project: project.name }), 300)
  const media = await saveImage(ctx.deps.payload, accountOf(ctx), project.id, {
    bytes,
    type,
    name: incoming.name,
    alt,
  })
  ctx.log.info({ media: media.id, project: project.id, bytes: bytes.length }, 'image saved')
  return media
}

/** An image sent while the upload question is open: saved, then its alt text unless captioned. */
async function receiveImage(ctx: BotContext, projectId: number) {
  const media = await takeImage(ctx, projectId)
  if (!media) return
  if (ctx.message?.caption?.trim()) {
    leaveFlow(ctx)
    return showMedia(ctx, projectId, 1, ctx.t('media.saved'))
  }
  await startFlow(ctx, mediaAltFlow, { ref: media.id, data: { alt: media.alt } })
}

/** The project's images: list, upload (photo or image file), alt text, delete. */
export const media = new Composer<BotContext>()

media.on(['message:photo', 'message:document'], async (ctx, next) => {
  const flow = ctx.session.flow
  if (flow?.name !== mediaUploadFlow.name || !flow.ref) return next()
  await receiveImage(ctx, flow.ref)
})

onButton(media, 'md:l', z.tuple([Id, Page]), (ctx, [projectId, page]) =>
  showMedia(ctx, projectId, page),
)

onButton(media, 'md:u', z.tuple([Id]), async (ctx, [projectId]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  await ctx.answerCallbackQuery()
  await startFlow(ctx, mediaUploadFlow, { ref: project.id })
})

onButton(media, 'md:d', z.tuple([Id]), async (ctx, [id]) => {
  const item = await getMedia(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('media.delete_yes'), cb('md:dy', id))
    .text(ctx.t('no'), cb('md:l', Number(idOf(item.project)), 1))
  await show(ctx, ctx.t('media.delete_confirm', { alt: truncate(item.alt, 120) }), keyboard)
})

onButton(media, 'md:dy', z.tuple([Id]), async (ctx, [id]) => {
  const item = await getMedia(ctx.deps.payload, accountOf(ctx), id)
  await deleteMedia(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ media: id }, 'image deleted')
  await ctx.answerCallbackQuery({ text: ctx.t('media.deleted') })
  await showMedia(ctx, Number(idOf(item.project)), 1, ctx.t('media.deleted'))
})
