import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { listConnections } from '../../connections/service'
import {
  deleteSchedule,
  getSchedule,
  queueReadiness,
  setScheduleActive,
} from '../../scheduling/schedules'
import { idOf } from '../../lib/ids'
import { getProject } from '../../projects/service'
import { cb, Id, onButton } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { startFlow } from '../flows/engine'
import { scheduleCreateFlow, scheduleEditFlow, type ConnectionOption } from '../flows/schedule'
import { say, show } from '../ui'
import { showSchedules } from './scheduleList'

/** Schedules: list, pause, resume, create and edit (through their flows), delete. */
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

onButton(schedules, 's:n', z.tuple([Id]), async (ctx, [projectId]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const usable = (await listConnections(ctx.deps.payload, accountOf(ctx), project)).filter(
    (connection) => connection.status === 'active',
  )
  if (usable.length === 0) {
    const keyboard = new InlineKeyboard()
      .text(ctx.t('conn.list'), cb('n:l', projectId))
      .text(ctx.t('back'), cb('s:l', projectId))
    return show(ctx, ctx.t('sched.no_connections'), keyboard)
  }
  const options: ConnectionOption[] = usable.slice(0, 10).map((connection) => ({
    id: connection.id,
    name: connection.displayName,
    platform: connection.platform,
  }))
  await ctx.answerCallbackQuery()
  // A schedule fills its slots with approved content only: say so before it is set up for nothing.
  const { approved } = await queueReadiness(ctx.deps.payload, accountOf(ctx), project)
  if (approved === 0) await say(ctx, ctx.t(`sched.nothing_approved.${project.reviewPolicy}`))
  await startFlow(ctx, scheduleCreateFlow, {
    ref: project.id,
    data: { tz: project.timezone, options: JSON.stringify(options) },
  })
})

onButton(schedules, 's:e', z.tuple([Id]), async (ctx, [id]) => {
  const schedule = await getSchedule(ctx.deps.payload, accountOf(ctx), id)
  const project = await getProject(ctx.deps.payload, accountOf(ctx), Number(idOf(schedule.project)))
  await ctx.answerCallbackQuery()
  await startFlow(ctx, scheduleEditFlow, {
    ref: schedule.id,
    data: { tz: project.timezone, start: schedule.startsAt ?? schedule.createdAt },
  })
})

onButton(schedules, 's:d', z.tuple([Id]), async (ctx, [id]) => {
  const schedule = await getSchedule(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('sched.delete_yes'), cb('s:dy', id))
    .text(ctx.t('no'), cb('s:l', Number(idOf(schedule.project))))
  await show(ctx, ctx.t('sched.delete_confirm', { name: schedule.name }), keyboard)
})

onButton(schedules, 's:dy', z.tuple([Id]), async (ctx, [id]) => {
  const schedule = await deleteSchedule(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ schedule: id }, 'schedule deleted')
  await ctx.answerCallbackQuery({ text: ctx.t('sched.deleted_toast') })
  await showSchedules(
    ctx,
    Number(idOf(schedule.project)),
    ctx.t('sched.deleted', { name: schedule.name }),
  )
})
