import { z } from 'zod'

import {
  createSchedule,
  updateScheduleCadence,
  upcomingInstants,
  type CadencePatch,
  type ScheduleInput,
} from '../../scheduling/schedules'
import { idOf } from '../../lib/ids'
import { parseSlotsText, parseStartDate } from '../../scheduling/parse'
import type { Weekday } from '../../scheduling/slots'
import { toLocal } from '../../scheduling/zoned'
import { zoneLabel } from '../../scheduling/zones'
import { accountOf, type BotContext } from '../context'
import { PLATFORM_ICON } from '../features/connections'
import { intervalText, showSchedules } from '../features/scheduleList'
import { esc, truncate } from '../ui'
import type { FlowDef, FlowState, FlowStep } from './engine'

export type ConnectionOption = { id: number; name: string; platform: keyof typeof PLATFORM_ICON }

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
  return z.string().transform((value, issue) => {
    const parsed = parseStartDate(value, timeZone)
    if (parsed.ok) return parsed.startsAt
    issue.addIssue({ code: 'custom', message: parsed.error })
    return z.NEVER
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
      schema: startAnswer(flow.data.tz),
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
