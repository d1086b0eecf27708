import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { contentImageId, setContentImage } from '../../content/images'
import { getContent, type ContentCollection } from '../../content/library'
import { idOf } from '../../lib/ids'
import { getKeyword } from '../../keywords/service'
import { getMedia, listMedia } from '../../media/service'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { leaveFlow, startFlow, type FlowDef } from '../flows/engine'
import { addPager, esc, show, truncate } from '../ui'
import { generate, showItem } from './content'
import { MAX_IMAGE_BYTES, takeImage } from './media'

const PAGE_SIZE = 8
const Kind = z.enum(['a', 'p'])
type Kind = z.infer<typeof Kind>
const COLLECTION: Record<Kind, ContentCollection> = { a: 'articles', p: 'posts' }

/**
 * "🖼 Own image": the customer puts one of their project's images (or a photo sent now) on an
 * article or a post instead of the AI image, or orders a post for a keyword with one, so no image
 * is drawn for it. Every read and write acts as the account (ownership: same account, same project).
 */
export const contentImages = new Composer<BotContext>()

/** Target of the picker: an existing article or post, or a new post for a keyword. */
const Target = z.enum(['a', 'p', 'k'])
type Target = z.infer<typeof Target>

async function projectOf(ctx: BotContext, target: Target, id: number): Promise<{ projectId: number; current: number | null }> {
  if (target === 'k') {
    const keyword = await getKeyword(ctx.deps.payload, accountOf(ctx), id)
    return { projectId: Number(idOf(keyword.project)), current: null }
  }
  const item = await getContent(ctx.deps.payload, accountOf(ctx), COLLECTION[target], id)
  return { projectId: Number(idOf(item.project)), current: contentImageId(COLLECTION[target], item) }
}

async function showPicker(ctx: BotContext, target: Target, id: number, page: number) {
  const { projectId, current } = await projectOf(ctx, target, id)
  const result = await listMedia(ctx.deps.payload, accountOf(ctx), projectId, page, PAGE_SIZE)
  const lines = [ctx.t(target === 'k' ? 'image.pick_for_post' : 'image.pick')]
  if (current !== null) {
    const shown = await getMedia(ctx.deps.payload, accountOf(ctx), current).catch(() => null)
    if (shown) lines.push('', ctx.t('image.current', { alt: truncate(shown.alt, 120) }))
  }
  if (result.totalDocs === 0) lines.push('', ctx.t('image.library_empty'))
  const keyboard = new InlineKeyboard()
  result.docs.forEach((media, index) => {
    const n = ((result.page ?? page) - 1) * PAGE_SIZE + index + 1
    const mark = media.id === current ? '✅ ' : ''
    lines.push(`${n}. ${mark}🖼 ${esc(truncate(media.alt, 100))}`)
    keyboard.text(`${mark}🖼 ${n}`, cb('c:is', target, id, media.id))
    if (index % 4 === 3) keyboard.row()
  })
  keyboard.row()
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('c:im', target, id, p))
  keyboard.text(ctx.t('image.send_photo'), cb('c:iu', target, id)).row()
  keyboard.text(ctx.t('back'), target === 'k' ? cb('k:o', id) : cb('c:o', target, id))
  await show(ctx, lines.join('\n'), keyboard)
}

/** Uses the image: on the article or post, or as the image of a new post for the keyword. */
async function useImage(ctx: BotContext, target: Target, id: number, mediaId: number) {
  if (target === 'k') return generate(ctx, { kind: 'post', keywordId: id, mediaId })
  await setContentImage(ctx.deps.payload, accountOf(ctx), COLLECTION[target], id, mediaId)
  ctx.log.info({ collection: COLLECTION[target], id, media: mediaId }, 'own image set')
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: ctx.t('image.set') })
  await showItem(ctx, target, id, ctx.t('image.set'))
}

/** Waits for a photo or image file for the content; text is answered with what is expected. */
export const contentImageFlow: FlowDef = {
  name: 'content.image',
  steps: () => [
    {
      key: 'file',
      prompt: (ctx) => ctx.t('media.ask_file', { mb: MAX_IMAGE_BYTES / 1024 / 1024 }),
      schema: z.string().refine(() => false, 'image_expected'),
    },
  ],
  finish: async () => undefined,
}

contentImages.on(['message:photo', 'message:document'], async (ctx, next) => {
  const flow = ctx.session.flow
  if (flow?.name !== contentImageFlow.name || !flow.ref) return next()
  const target = Target.parse(flow.data.target)
  const { projectId } = await projectOf(ctx, target, flow.ref)
  const media = await takeImage(ctx, projectId)
  if (!media) return
  leaveFlow(ctx)
  await useImage(ctx, target, flow.ref, media.id)
})

onButton(contentImages, 'c:im', z.tuple([Target, Id, Page]), (ctx, [target, id, page]) => showPicker(ctx, target, id, page))
onButton(contentImages, 'c:is', z.tuple([Target, Id, Id]), (ctx, [target, id, mediaId]) => useImage(ctx, target, id, mediaId))
onButton(contentImages, 'c:iu', z.tuple([Target, Id]), async (ctx, [target, id]) => {
  await projectOf(ctx, target, id)
  await ctx.answerCallbackQuery()
  await startFlow(ctx, contentImageFlow, { ref: id, data: { target } })
})
