import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import {
  cancelPublication,
  getPublication,
  listSchedules,
  listUpcoming,
  setScheduleActive,
} from '../../content/schedules'
import { idOf } from '../../lib/ids'
import type { Publication, Schedule } from '../../payload-types'
import { getProject } from '../../projects/service'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { addPager, esc, show, truncate } from '../ui'

const PAGE_SIZE = 5

function cadenceText(ctx: BotContext, schedule: Schedule): string {
  if (schedule.cadence === 'interval')
    return ctx.t('sched.every', { minutes: schedule.intervalMinutes ?? 0 })
  const slots = (schedule.slots ?? []).map(
    (slot) => `${ctx.t(`weekday.${slot.weekday}`)} ${slot.time}`,
  )
  return slots.length > 6 ? ctx.t('sched.slots_many', { count: slots.length }) : slots.join(', ')
}

async function showSchedules(ctx: BotContext, projectId: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const schedules = await listSchedules(ctx.deps.payload, accountOf(ctx), projectId)
  const keyboard = new InlineKeyboard()
  const lines = [ctx.t('sched.title', { project: project.name })]
  if (schedules.length === 0) lines.push('', ctx.t('sched.empty'))
  for (const schedule of schedules) {
    const state = schedule.active === false ? ctx.t('sched.paused') : ctx.t('sched.active')
    lines.push(
      '',
      `🗓 <b>${esc(schedule.name)}</b> · ${state}`,
      `${esc(cadenceText(ctx, schedule))} (${esc(project.timezone)})`,
    )
    keyboard
      .text(
        `${schedule.active === false ? '▶️' : '⏸'} ${truncate(schedule.name, 30)}`,
        cb(schedule.active === false ? 's:r' : 's:p', schedule.id),
      )
      .row()
  }
  keyboard
    .text(ctx.t('pub.list'), cb('u:l', projectId, 1))
    .text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

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

async function showUpcoming(ctx: BotContext, projectId: number, page: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const result = await listUpcoming(ctx.deps.payload, accountOf(ctx), projectId, {
    page,
    limit: PAGE_SIZE,
  })
  const keyboard = new InlineKeyboard()
  const lines = [ctx.t('pub.title', { project: project.name, total: result.totalDocs })]
  if (result.totalDocs === 0) lines.push('', ctx.t('pub.empty'))
  result.docs.forEach((publication, index) => {
    const connection =
      typeof publication.connection === 'object' ? publication.connection.displayName : ''
    const when = formatInstant(publication.plannedAt, project.timezone, ctx.lang)
    lines.push(
      '',
      `${index + 1}. ${esc(when)} · ${esc(connection)}`,
      `   ${esc(truncate(publicationTitle(publication), 80))}`,
    )
    keyboard.text(ctx.t('pub.cancel', { n: index + 1 }), cb('u:c', publication.id)).row()
  })
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('u:l', projectId, p))
  keyboard.text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/** Schedules (read, pause, resume) and the publications waiting to go out (cancel). */
export const schedules = new Composer<BotContext>()

onButton(schedules, 's:l', z.tuple([Id]), (ctx, [projectId]) => showSchedules(ctx, projectId))
for (const [route, active] of [
  ['s:p', false],
  ['s:r', true],
] as const) {
  onButton(schedules, route, z.tuple([Id]), async (ctx, [id]) => {
    const schedule = await setScheduleActive(ctx.deps.payload, accountOf(ctx), id, active)
    const text = ctx.t(active ? 'sched.resumed' : 'sched.paused_toast', { name: schedule.name })
    await ctx.answerCallbackQuery({ text })
    await showSchedules(ctx, Number(idOf(schedule.project)), text)
  })
}

onButton(schedules, 'u:l', z.tuple([Id, Page]), (ctx, [projectId, page]) =>
  showUpcoming(ctx, projectId, page),
)
onButton(schedules, 'u:c', z.tuple([Id]), async (ctx, [id]) => {
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
onButton(schedules, 'u:cy', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await cancelPublication(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ publication: id }, 'publication cancelled')
  await ctx.answerCallbackQuery({ text: ctx.t('pub.cancelled') })
  await showUpcoming(ctx, Number(idOf(publication.project)), 1, ctx.t('pub.cancelled'))
})
