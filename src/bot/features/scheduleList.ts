import { InlineKeyboard } from 'grammy'

import { listSchedules } from '../../scheduling/schedules'
import type { Schedule } from '../../payload-types'
import { getProject } from '../../projects/service'
import { zoneLabel } from '../../scheduling/zones'
import { cb } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { esc, show, truncate } from '../ui'

/** "каждый день", "каждые 3 часа", "every 2 days": whole days when it is, hours otherwise. */
export function intervalText(ctx: BotContext, minutes: number): string {
  return minutes % 1440 === 0
    ? ctx.t('sched.every_days', { days: minutes / 1440 })
    : ctx.t('sched.every_hours', { hours: Math.round(minutes / 60) })
}

function cadenceText(ctx: BotContext, schedule: Schedule): string {
  if (schedule.cadence === 'interval') return intervalText(ctx, schedule.intervalMinutes ?? 60)
  const slots = (schedule.slots ?? []).map(
    (slot) => `${ctx.t(`weekday.${slot.weekday}`)} ${slot.time}`,
  )
  return slots.length > 6 ? ctx.t('sched.slots_many', { count: slots.length }) : slots.join(', ')
}

/** A project's schedules with their buttons; shown by the schedule buttons and after the flows. */
export async function showSchedules(ctx: BotContext, projectId: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), projectId)
  const schedules = await listSchedules(ctx.deps.payload, accountOf(ctx), project)
  const keyboard = new InlineKeyboard()
  const lines = [ctx.t('sched.title', { project: project.name })]
  if (schedules.length === 0) lines.push('', ctx.t('sched.empty'))
  for (const schedule of schedules) {
    const state = schedule.active === false ? ctx.t('sched.paused') : ctx.t('sched.active')
    lines.push(
      '',
      `🗓 <b>${esc(schedule.name)}</b> · ${state}`,
      `${esc(cadenceText(ctx, schedule))} (${esc(zoneLabel(project.timezone, ctx.lang))})`,
    )
    keyboard
      .text(
        `${schedule.active === false ? '▶️' : '⏸'} ${truncate(schedule.name, 30)}`,
        cb(schedule.active === false ? 's:r' : 's:p', schedule.id),
      )
      .text('✏️', cb('s:e', schedule.id))
      .text('🗑', cb('s:d', schedule.id))
      .row()
  }
  keyboard.text(ctx.t('sched.new'), cb('s:n', projectId)).row()
  keyboard
    .text(ctx.t('pub.list'), cb('u:l', projectId, 1))
    .text(ctx.t('back'), cb('p:o', projectId))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}
