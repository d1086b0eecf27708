import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { idOf } from '../../lib/ids'
import type { Project, Publication } from '../../payload-types'
import { getProject } from '../../projects/service'
import { cancelPublication, getPublication, listUpcoming, retryPublication } from '../../publishing/actions'
import { listUnconfirmedAs, markPublishedAs, publishAgainAs } from '../../publishing/unconfirmed'
import { unconfirmedButtons } from '../notices'
import { queueReadiness } from '../../scheduling/schedules'
import { zoneLabel } from '../../scheduling/zones'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { plain } from '../errors'
import { addPager, esc, show, truncate } from '../ui'

const PAGE_SIZE = 5

function formatInstant(iso: string, timeZone: string, language: string): string {
  return new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : 'ru-RU', {
    timeZone,
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso))
}

function publicationTitle(publication: Publication): string {
  const content = publication.article ?? publication.post
  return typeof content === 'object' && content ? content.title : `#${idOf(content)}`
}

function connectionName(publication: Publication): string {
  return typeof publication.connection === 'object' ? publication.connection.displayName : ''
}

async function showUpcoming(ctx: BotContext, projectId: number, page: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const result = await listUpcoming(ctx.deps.payload, accountOf(ctx), project, {
    page,
    limit: PAGE_SIZE,
  })
  const keyboard = new InlineKeyboard()
  const lines: string[] = []
  // Publications whose outcome is unknown come first: they wait for the customer's decision.
  const unconfirmed = await listUnconfirmedAs(ctx.deps.payload, accountOf(ctx), project.id)
  if (unconfirmed.length > 0) lines.push(ctx.t('pub.unconfirmed_title', { total: unconfirmed.length }))
  unconfirmed.forEach((publication, index) => {
    lines.push(`❓ ${index + 1}. ${esc(truncate(publicationTitle(publication), 80))} · ${esc(connectionName(publication))}`)
    keyboard.text(ctx.t('pub.settle', { n: index + 1 }), cb('u:u', publication.id)).row()
  })
  if (unconfirmed.length > 0) lines.push('')
  lines.push(ctx.t('pub.title', { project: project.name, total: result.totalDocs }))
  if (result.totalDocs > 0) lines.push(ctx.t('pub.zone', { zone: zoneLabel(project.timezone, ctx.lang) }))
  if (result.totalDocs === 0) lines.push('', await emptyQueueReason(ctx, project))
  result.docs.forEach((publication, index) => {
    const when = formatInstant(publication.plannedAt, project.timezone, ctx.lang)
    lines.push(
      '',
      `${index + 1}. ${esc(when)} · ${esc(connectionName(publication))}`,
      `   ${esc(truncate(publicationTitle(publication), 80))}`,
    )
    // Why a queued one has not gone out yet (waiting for its article, a platform retry later).
    if (publication.lastError) lines.push(`   ⏳ ${esc(truncate(publication.lastError, 300))}`)
    keyboard.text(ctx.t('pub.cancel', { n: index + 1 }), cb('u:c', publication.id)).row()
  })
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('u:l', projectId, p))
  keyboard.text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/** Why nothing is queued: no schedule running, nothing approved (and who approves), or not yet. */
async function emptyQueueReason(ctx: BotContext, project: Project): Promise<string> {
  const { activeSchedules, approved } = await queueReadiness(ctx.deps.payload, accountOf(ctx), project)
  if (activeSchedules === 0) return ctx.t('pub.empty_no_schedule')
  if (approved === 0) return ctx.t(`pub.empty_nothing_approved.${project.reviewPolicy}`)
  return ctx.t('pub.empty')
}

/** The publications waiting to go out (cancel), failed ones sent again, unconfirmed ones settled. */
export const publications = new Composer<BotContext>()

onButton(publications, 'u:l', z.tuple([Id, Page]), (ctx, [projectId, page]) =>
  showUpcoming(ctx, projectId, page),
)
/** "Publish again" on a failure notice: only a failed publication of this account goes back. */
onButton(publications, 'u:r', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await getPublication(ctx.deps.payload, accountOf(ctx), id)
  if (publication.status !== 'failed') {
    return ctx.answerCallbackQuery({ text: ctx.t('pub.not_failed', { status: ctx.t(`pub.status.${publication.status}`) }), show_alert: true })
  }
  await retryPublication(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ publication: id }, 'publication sent again')
  await ctx.answerCallbackQuery({ text: ctx.t('pub.retried') })
  await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => undefined)
})

/** An unconfirmed publication is settled once: a later press on an old notice says how it ended. */
async function unconfirmedOf(ctx: BotContext, id: number): Promise<Publication | null> {
  const publication = await getPublication(ctx.deps.payload, accountOf(ctx), id)
  if (publication.status === 'unconfirmed') return publication
  await ctx.answerCallbackQuery({ text: ctx.t('pub.not_unconfirmed', { status: ctx.t(`pub.status.${publication.status}`) }), show_alert: true })
  return null
}

/** "Publish again" on an unconfirmed notice asks first: the first attempt may be out already. */
onButton(publications, 'u:a', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await unconfirmedOf(ctx, id)
  if (!publication) return
  const keyboard = new InlineKeyboard().text(ctx.t('pub.again_yes'), cb('u:ay', id)).row().text(ctx.t('pub.again_no'), cb('u:u', id))
  await show(ctx, ctx.t('pub.again_confirm', { title: publicationTitle(publication), connection: connectionName(publication) }), keyboard)
})
/**
 * The customer's decision on an unconfirmed publication: "It is published" (it went out), or
 * "Yes, publish again" after the question. Recorded as theirs by the collection's hooks.
 */
for (const [route, decide, textKey] of [
  ['u:y', markPublishedAs, 'pub.marked_published'],
  ['u:ay', publishAgainAs, 'pub.again_queued'],
] as const) {
  onButton(publications, route, z.tuple([Id]), async (ctx, [id]) => {
    const publication = await unconfirmedOf(ctx, id)
    if (!publication) return
    await decide(ctx.deps.payload, accountOf(ctx), id)
    ctx.log.info({ publication: id, decision: route }, 'unconfirmed publication settled by the customer')
    const text = ctx.t(textKey, { title: publicationTitle(publication) })
    await ctx.answerCallbackQuery({ text: plain(text) })
    await show(ctx, text)
  })
}
/** Back from the question: the unconfirmed notice with its buttons, as it was. */
onButton(publications, 'u:u', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await unconfirmedOf(ctx, id)
  if (!publication) return
  const text = ctx.t('notify.publication_unconfirmed', {
    title: publicationTitle(publication),
    connection: connectionName(publication),
    reason: publication.lastError || ctx.t('publish.unconfirmed'),
  })
  const keyboard = new InlineKeyboard()
  for (const button of unconfirmedButtons(publication)) if ('data' in button) keyboard.text(ctx.t(button.key), button.data).row()
  // ctx.t escapes the title and reason already (tr): escaped again they would read '&amp;'.
  await show(ctx, text, keyboard)
})

onButton(publications, 'u:c', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await getPublication(ctx.deps.payload, accountOf(ctx), id)
  const project = await getProject(
    ctx.deps.payload,
    accountOf(ctx),
    Number(idOf(publication.project)),
  )
  const keyboard = new InlineKeyboard()
    .text(ctx.t('pub.cancel_yes'), cb('u:cy', id))
    .text(ctx.t('no'), cb('u:l', project.id, 1))
  const when = formatInstant(publication.plannedAt, project.timezone, ctx.lang)
  await show(
    ctx,
    ctx.t('pub.cancel_confirm', { title: truncate(publicationTitle(publication), 80), when }),
    keyboard,
  )
})
onButton(publications, 'u:cy', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await cancelPublication(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ publication: id }, 'publication cancelled')
  await ctx.answerCallbackQuery({ text: ctx.t('pub.cancelled') })
  await showUpcoming(ctx, Number(idOf(publication.project)), 1, ctx.t('pub.cancelled'))
})
