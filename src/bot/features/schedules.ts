import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { listConnections } from '../../connections/service'
import {
  cancelPublication,
  retryPublication,
  createSchedule,
  deleteSchedule,
  getPublication,
  getSchedule,
  listSchedules,
  listUpcoming,
  queueReadiness,
  setScheduleActive,
  updateScheduleCadence,
  upcomingInstants,
  type CadencePatch,
  type ScheduleInput,
} from '../../content/schedules'
import { idOf } from '../../lib/ids'
import type { Project, Publication, Schedule } from '../../payload-types'
import { getProject } from '../../projects/service'
import { listUnconfirmedAs, markPublishedAs, publishAgainAs, unconfirmedButtons } from '../../publishing/unconfirmed'
import { parseSlotsText } from '../../scheduling/parse'
import type { Weekday } from '../../scheduling/slots'
import { fromLocal, toLocal } from '../../scheduling/zoned'
import { zoneLabel } from '../../scheduling/zones'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { plain } from '../errors'
import { startFlow, type FlowDef, type FlowState, type FlowStep } from '../flows/engine'
import { addPager, esc, say, show, truncate } from '../ui'
import { PLATFORM_ICON } from './connections'

const PAGE_SIZE = 5

/** "каждый день", "каждые 3 часа", "every 2 days": whole days when it is, hours otherwise. */
function intervalText(ctx: BotContext, minutes: number): string {
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

async function showSchedules(ctx: BotContext, projectId: number, intro?: string) {
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

/** Why nothing is queued: no schedule running, nothing approved (and who approves), or not yet. */
async function emptyQueueReason(ctx: BotContext, project: Project): Promise<string> {
  const { activeSchedules, approved } = await queueReadiness(ctx.deps.payload, accountOf(ctx), project)
  if (activeSchedules === 0) return ctx.t('pub.empty_no_schedule')
  if (approved === 0) return ctx.t(`pub.empty_nothing_approved.${project.reviewPolicy}`)
  return ctx.t('pub.empty')
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
/** "Publish again" on a failure notice: only a failed publication of this account goes back. */
onButton(schedules, 'u:r', z.tuple([Id]), async (ctx, [id]) => {
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
onButton(schedules, 'u:a', z.tuple([Id]), async (ctx, [id]) => {
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
  onButton(schedules, route, z.tuple([Id]), async (ctx, [id]) => {
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
onButton(schedules, 'u:u', z.tuple([Id]), async (ctx, [id]) => {
  const publication = await unconfirmedOf(ctx, id)
  if (!publication) return
  const text = ctx.t('notify.publication_unconfirmed', {
    title: publicationTitle(publication),
    connection: connectionName(publication),
    reason: publication.lastError || ctx.t('publish.unconfirmed'),
  })
  const keyboard = new InlineKeyboard()
  for (const button of unconfirmedButtons(publication)) if ('data' in button) keyboard.text(ctx.t(button.key), button.data).row()
  await show(ctx, esc(text), keyboard)
})

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

type ConnectionOption = { id: number; name: string; platform: keyof typeof PLATFORM_ICON }

function optionsOf(flow: FlowState): ConnectionOption[] {
  return JSON.parse(flow.data.options ?? '[]') as ConnectionOption[]
}

/** "пн 30.11 10:00" in the project's zone: weekday, day.month and wall-clock time. */
function formatSlot(ctx: BotContext, instant: number, timeZone: string): string {
  const local = toLocal(timeZone, instant)
  const weekday = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'][local.weekday]
  const two = (n: number) => String(n).padStart(2, '0')
  return `${ctx.t(`weekday.${weekday}`)} ${two(local.day)}.${two(local.month)} ${two(local.hour)}:${two(local.minute)}`
}

function cadenceOf(flow: FlowState): CadencePatch {
  if (flow.data.cadence === 'interval')
    return {
      cadence: 'interval',
      intervalMinutes: Number(flow.data.hours) * 60,
      startsAt: flow.data.start || undefined,
    }
  const parsed = parseSlotsText(flow.data.slots ?? '')
  return {
    cadence: 'slots',
    slots: parsed.ok ? parsed.slots : [],
    startsAt: flow.data.start || undefined,
  }
}

function cadenceSummary(ctx: BotContext, cadence: CadencePatch): string {
  if (cadence.cadence === 'interval') return intervalText(ctx, cadence.intervalMinutes ?? 60)
  const byTime = new Map<string, Weekday[]>()
  for (const slot of cadence.slots ?? [])
    byTime.set(slot.time, [...(byTime.get(slot.time) ?? []), slot.weekday])
  const byDays = new Map<string, string[]>()
  for (const [time, days] of byTime) {
    const label = days.map((day) => ctx.t(`weekday.${day}`)).join(' ')
    byDays.set(label, [...(byDays.get(label) ?? []), time])
  }
  return [...byDays].map(([days, times]) => `${days} ${times.join(', ')}`).join('; ')
}

function previewText(ctx: BotContext, flow: FlowState): string {
  const timeZone = flow.data.tz
  const cadence = cadenceOf(flow)
  const instants = upcomingInstants(cadence, timeZone)
  const next =
    instants.length > 0
      ? instants.map((instant) => `• ${formatSlot(ctx, instant, timeZone)}`).join('\n')
      : ctx.t('sched.preview_none')
  return ctx.t('sched.preview', { zone: zoneLabel(timeZone, ctx.lang) }) + `\n${esc(next)}`
}

const SlotsAnswer = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .superRefine((value, issue) => {
    const parsed = parseSlotsText(value)
    if (!parsed.ok) issue.addIssue({ code: 'custom', message: parsed.error })
  })

const HoursAnswer = z
  .string()
  .trim()
  .regex(/^\d{1,3}$/, 'interval_hours')
  .refine((value) => Number(value) >= 1 && Number(value) <= 720, 'interval_hours')

/** A start date typed as 25.12.2026 or 2026-12-25 (midnight in the project's zone); skip = now. */
function startAnswer(timeZone: string) {
  return z
    .string()
    .trim()
    .transform((value, issue) => {
      const now = Date.now()
      if (value === '') return new Date(Math.floor(now / 60_000) * 60_000).toISOString()
      const match =
        value
          .match(/^(\d{1,2})\.(\d{1,2})\.(\d{4})$/)
          ?.slice(1)
          .reverse() ?? value.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/)?.slice(1)
      const [year, month, day] = (match ?? []).map(Number)
      const valid =
        match && month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 2000 && year <= 2100
      const instant = valid ? fromLocal(timeZone, { year, month, day, hour: 0, minute: 0 }) : NaN
      const local = valid ? toLocal(timeZone, instant) : null
      if (!local || local.day !== day || local.month !== month) {
        issue.addIssue({ code: 'custom', message: 'date_format' })
        return z.NEVER
      }
      const today = toLocal(timeZone, now)
      if (instant < fromLocal(timeZone, { ...today, hour: 0, minute: 0 })) {
        issue.addIssue({ code: 'custom', message: 'date_past' })
        return z.NEVER
      }
      if (instant > now + 366 * 86_400_000) {
        issue.addIssue({ code: 'custom', message: 'date_far' })
        return z.NEVER
      }
      return new Date(instant).toISOString()
    })
}

const cadenceSteps = (flow: FlowState): FlowStep[] => [
  {
    key: 'cadence',
    prompt: (ctx) => ctx.t('sched.ask.cadence'),
    schema: z.enum(['slots', 'interval']),
    choices: (ctx) => [
      { label: ctx.t('sched.cadence.slots'), value: 'slots' },
      { label: ctx.t('sched.cadence.interval'), value: 'interval' },
    ],
  },
  flow.data.cadence === 'interval'
    ? { key: 'hours', prompt: (ctx) => ctx.t('sched.ask.hours'), schema: HoursAnswer }
    : {
        key: 'slots',
        prompt: (ctx, f) => ctx.t('sched.ask.slots', { zone: zoneLabel(f.data.tz, ctx.lang) }),
        schema: SlotsAnswer,
      },
]

const confirmStep: FlowStep = {
  key: 'confirm',
  transient: true,
  prompt: (ctx, flow) => {
    const names = (
      flow.data.connection === 'all'
        ? optionsOf(flow)
        : optionsOf(flow).filter((o) => String(o.id) === flow.data.connection)
    ).map((o) => `${PLATFORM_ICON[o.platform]} ${o.name}`)
    const lines = [
      ctx.t('sched.summary'),
      ...(names.length > 0 ? [`${ctx.t('sched.where')}: ${esc(names.join(', '))}`] : []),
      ...(flow.data.kind
        ? [`${ctx.t('sched.what')}: ${ctx.t(`sched.kind.${flow.data.kind}`)}`]
        : []),
      `${ctx.t('sched.when')}: ${esc(cadenceSummary(ctx, cadenceOf(flow)))}`,
      '',
      previewText(ctx, flow),
    ]
    return lines.join('\n')
  },
  schema: z.literal('save'),
  choices: (ctx) => [{ label: ctx.t('sched.save'), value: 'save' }],
}

/** A new schedule: where, what, when (weekly slots or an interval), from when; preview, save. */
export const scheduleCreateFlow: FlowDef = {
  name: 'sched.new',
  steps: (flow) => [
    {
      key: 'connection',
      prompt: (ctx) => ctx.t('sched.ask.connection'),
      schema: z
        .string()
        .refine(
          (value) =>
            value === 'all' || optionsOf(flow).some((option) => String(option.id) === value),
          'choose',
        ),
      choices: (ctx, f) => [
        ...optionsOf(f).map((option) => ({
          label: `${PLATFORM_ICON[option.platform]} ${truncate(option.name, 40)}`,
          value: String(option.id),
        })),
        ...(optionsOf(f).length > 1
          ? [{ label: ctx.t('sched.all_connections'), value: 'all' }]
          : []),
      ],
    },
    {
      key: 'kind',
      prompt: (ctx) => ctx.t('sched.ask.kind'),
      schema: z.enum(['articles', 'posts', 'both']),
      choices: (ctx) =>
        (['articles', 'posts', 'both'] as const).map((value) => ({
          label: ctx.t(`sched.kind.${value}`),
          value,
        })),
    },
    ...cadenceSteps(flow),
    {
      key: 'start',
      prompt: (ctx) => ctx.t('sched.ask.start'),
      schema: startAnswer(flow.data.tz) as unknown as z.ZodType<string>,
      optional: 'skip',
    },
    confirmStep,
  ],
  finish: async (ctx, flow) => {
    const options = optionsOf(flow)
    const chosen =
      flow.data.connection === 'all'
        ? options
        : options.filter((option) => String(option.id) === flow.data.connection)
    const cadence = cadenceOf(flow)
    const input: ScheduleInput = {
      ...cadence,
      name: truncate(
        `${cadenceSummary(ctx, cadence)} · ${chosen.map((option) => option.name).join(', ')}`,
        120,
      ),
      connections: chosen.map((option) => option.id),
      contentKind: z.enum(['articles', 'posts', 'both']).parse(flow.data.kind),
    }
    const schedule = await createSchedule(ctx.deps.payload, accountOf(ctx), flow.ref!, input)
    ctx.log.info({ schedule: schedule.id }, 'schedule created')
    await showSchedules(ctx, flow.ref!, ctx.t('sched.created', { name: schedule.name }))
  },
}

/** New times or a new interval for a schedule; where and what stay as they are. */
export const scheduleEditFlow: FlowDef = {
  name: 'sched.edit',
  steps: (flow) => [...cadenceSteps(flow), confirmStep],
  finish: async (ctx, flow) => {
    const schedule = await updateScheduleCadence(
      ctx.deps.payload,
      accountOf(ctx),
      flow.ref!,
      cadenceOf(flow),
    )
    await showSchedules(
      ctx,
      Number(idOf(schedule.project)),
      ctx.t('sched.updated', { name: schedule.name }),
    )
  },
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
