import { domainToUnicode } from 'node:url'

import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import type { Project } from '../../payload-types'
import { addCompetitor, competitorRef, competitorUrls, removeCompetitor } from '../../projects/competitors'
import { CompetitorUrl, MAX_COMPETITORS, ProjectFields, type ProjectField } from '../../projects/schema'
import { zoneLabel } from '../../scheduling/zones'
import { assertRoomFor } from '../../usage/enforce'
import {
  createProject,
  deleteProject,
  getProject,
  updateProject,
} from '../../projects/service'
import { cb, Id, onButton, Page } from '../callbacks'
import { accountOf, type BotContext } from '../context'
import { startFlow, type FlowDef, type FlowStep } from '../flows/engine'
import { projectPage } from '../projectList'
import { addPager, esc, show, truncate } from '../ui'

const PAGE_SIZE = 5

/** Short codes for project fields in callback data. */
const FIELD_CODES = {
  n: 'name',
  u: 'siteUrl',
  ni: 'niche',
  d: 'description',
  a: 'audience',
  t: 'toneOfVoice',
  tz: 'timezone',
  l: 'language',
} as const satisfies Record<string, ProjectField>
type FieldCode = keyof typeof FIELD_CODES
const FieldCode = z.enum(Object.keys(FIELD_CODES) as [FieldCode, ...FieldCode[]])

export const SUGGESTED_ZONES = [
  'Europe/Moscow',
  'Europe/Kaliningrad',
  'Europe/Samara',
  'Asia/Yekaterinburg',
  'Asia/Novosibirsk',
  'Asia/Vladivostok',
]
const TONES = ['friendly', 'expert', 'formal', 'playful'] as const

function fieldStep(field: ProjectField, mode: 'create' | 'edit'): FlowStep {
  const optional = ['siteUrl', 'niche', 'description', 'audience', 'toneOfVoice'].includes(field)
  return {
    key: field,
    prompt: (ctx, flow) =>
      ctx.t(`project.ask.${field}`) +
      (flow.data.current === undefined
        ? ''
        : `\n\n${ctx.t('project.current', { current: flow.data.current })}`),
    schema: ProjectFields[field] as z.ZodType<string>,
    optional: optional ? (mode === 'create' ? 'skip' : 'clear') : undefined,
    choices:
      field === 'timezone'
        ? (ctx) => SUGGESTED_ZONES.map((zone) => ({ label: zoneLabel(zone, ctx.lang), value: zone }))
        : field === 'toneOfVoice'
          ? (ctx) =>
              TONES.map((tone) => ({
                label: ctx.t(`tone.${tone}`),
                value: ctx.t(`tone.${tone}.text`),
              }))
          : field === 'language'
            ? (ctx) =>
                (['ru', 'en'] as const).map((value) => ({ label: ctx.t(`lang.${value}`), value }))
            : undefined,
  }
}

const CREATE_FIELDS: ProjectField[] = [
  'name',
  'siteUrl',
  'niche',
  'audience',
  'toneOfVoice',
  'timezone',
]

export const projectCreateFlow: FlowDef = {
  name: 'project.create',
  steps: () => CREATE_FIELDS.map((field) => fieldStep(field, 'create')),
  finish: async (ctx, flow) => {
    const data = flow.data
    const project = await createProject(ctx.deps.payload, accountOf(ctx), {
      name: data.name,
      siteUrl: data.siteUrl || undefined,
      niche: data.niche || undefined,
      audience: data.audience || undefined,
      toneOfVoice: data.toneOfVoice || undefined,
      timezone: data.timezone,
    })
    ctx.log.info({ project: project.id }, 'project created')
    await showProjectCard(ctx, project.id, ctx.t('project.created'))
  },
}

export const projectEditFlow: FlowDef = {
  name: 'project.edit',
  steps: (flow) => [fieldStep(FIELD_CODES[flow.data.field as FieldCode], 'edit')],
  finish: async (ctx, flow, value) => {
    const field = FIELD_CODES[flow.data.field as FieldCode]
    await updateProject(ctx.deps.payload, accountOf(ctx), flow.ref!, { [field]: value })
    await showProjectCard(ctx, flow.ref!, ctx.t('project.saved'))
  },
}

function projectLines(ctx: BotContext, project: Project): string {
  const none = ctx.t('not_set')
  return [
    `📁 <b>${esc(project.name)}</b>`,
    `${ctx.t('field.siteUrl')}: ${esc(project.siteUrl ?? none)}`,
    `${ctx.t('field.niche')}: ${esc(project.niche ?? none)}`,
    `${ctx.t('field.audience')}: ${esc(truncate(project.audience ?? none, 300))}`,
    `${ctx.t('field.toneOfVoice')}: ${esc(truncate(project.toneOfVoice ?? none, 200))}`,
    `${ctx.t('field.timezone')}: ${esc(zoneLabel(project.timezone, ctx.lang))}`,
    `${ctx.t('field.language')}: ${ctx.t(`lang.${project.language}`)}`,
  ].join('\n')
}

export async function showProjectCard(ctx: BotContext, id: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('kw.list'), cb('k:l', id, 1))
    .text(ctx.t('kw.clusters'), cb('k:cl', id, 1))
    .row()
    .text(ctx.t('kw.survey'), cb('k:sv', id))
    .text(ctx.t('kw.import'), cb('k:im', id))
    .row()
    .text(ctx.t('content.articles'), cb('c:l', 'a', id, 1))
    .text(ctx.t('content.posts'), cb('c:l', 'p', id, 1))
    .row()
    .text(ctx.t('sched.list'), cb('s:l', id))
    .text(ctx.t('pub.list'), cb('u:l', id, 1))
    .row()
    .text(ctx.t('conn.list'), cb('n:l', id))
    .text(ctx.t('media.list'), cb('md:l', id, 1))
    .row()
    .text(ctx.t('competitors.button'), cb('p:cc', id))
    .row()
    .text(ctx.t('project.edit'), cb('p:ed', id))
    .text(ctx.t('project.delete'), cb('p:del', id))
    .row()
    .text(ctx.t('project.back_to_list'), cb('p:list', 1))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${projectLines(ctx, project)}`, keyboard)
}

/** An address as people read it: the host in its own script (домашнийуют.рф, not xn--...). */
function readableUrl(url: string): string {
  const parsed = new URL(url)
  return url.replace(parsed.host, domainToUnicode(parsed.hostname) + (parsed.port ? `:${parsed.port}` : ''))
}

/** The competitor pages the article brief reads: numbered, each removable, more addable up to the cap. */
async function showCompetitors(ctx: BotContext, id: number, intro?: string) {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  const urls = competitorUrls(project)
  const lines = [ctx.t('competitors.title', { project: project.name, count: urls.length, max: MAX_COMPETITORS })]
  if (urls.length === 0) lines.push('', ctx.t('competitors.empty'))
  urls.forEach((url, index) => lines.push(`${index + 1}. ${esc(readableUrl(url))}`))
  if (urls.length >= MAX_COMPETITORS) lines.push('', ctx.t('competitors.full', { max: MAX_COMPETITORS }))
  const keyboard = new InlineKeyboard()
  urls.forEach((url, index) => {
    keyboard.text(ctx.t('competitors.remove', { n: index + 1 }), cb('p:ccd', id, competitorRef(url)))
    if (index % 3 === 2) keyboard.row()
  })
  keyboard.row()
  if (urls.length < MAX_COMPETITORS) keyboard.text(ctx.t('competitors.add'), cb('p:cca', id))
  keyboard.text(ctx.t('back'), cb('p:o', id))
  await show(ctx, `${intro ? `${intro}\n\n` : ''}${lines.join('\n')}`, keyboard)
}

/** One competitor page, typed as people type it; refused with the reason, asked again. */
export const competitorAddFlow: FlowDef = {
  name: 'project.competitor',
  steps: () => [{ key: 'url', prompt: (ctx) => ctx.t('competitors.ask'), schema: CompetitorUrl }],
  finish: async (ctx, flow, url) => {
    await addCompetitor(ctx.deps.payload, accountOf(ctx), flow.ref!, url)
    ctx.log.info({ project: flow.ref }, 'competitor added')
    await showCompetitors(ctx, flow.ref!, ctx.t('competitors.added', { url: readableUrl(url) }))
  },
}

async function showProjectList(ctx: BotContext, page: number) {
  const result = await projectPage(ctx.deps.payload, accountOf(ctx), page, PAGE_SIZE)
  const keyboard = new InlineKeyboard()
  if (result.totalDocs === 0) {
    keyboard.text(ctx.t('menu.new_project'), 'p:new').row().text(ctx.t('back'), 'm:home')
    return show(ctx, ctx.t('projects.empty'), keyboard)
  }
  for (const project of result.docs)
    keyboard.text(`📁 ${truncate(project.name, 40)}`, cb('p:o', project.id)).row()
  addPager(keyboard, result.page ?? page, result.totalPages, (p) => cb('p:list', p))
  keyboard.text(ctx.t('menu.new_project'), 'p:new').text(ctx.t('back'), 'm:home')
  await show(ctx, ctx.t('projects.title', { total: result.totalDocs }), keyboard)
}

/** Projects: create (a conversation), list by pages, open, edit any field, delete with confirmation. */
export const projects = new Composer<BotContext>()

projects.command('projects', (ctx) => showProjectList(ctx, 1))
projects.command('new', async (ctx) => {
  await assertRoomFor(ctx.deps.payload, accountOf(ctx).id, 'projects')
  await startFlow(ctx, projectCreateFlow)
})

onButton(projects, 'p:list', z.tuple([Page]), (ctx, [page]) => showProjectList(ctx, page))
onButton(projects, 'p:new', z.tuple([]), async (ctx) => {
  // The plan's project limit is told before the conversation, not at its last step.
  await assertRoomFor(ctx.deps.payload, accountOf(ctx).id, 'projects')
  await ctx.answerCallbackQuery()
  await startFlow(ctx, projectCreateFlow)
})
onButton(projects, 'p:o', z.tuple([Id]), (ctx, [id]) => showProjectCard(ctx, id))

onButton(projects, 'p:cc', z.tuple([Id]), (ctx, [id]) => showCompetitors(ctx, id))
onButton(projects, 'p:cca', z.tuple([Id]), async (ctx, [id]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  if (competitorUrls(project).length >= MAX_COMPETITORS)
    return ctx.answerCallbackQuery({ text: ctx.t('competitors.full', { max: MAX_COMPETITORS }), show_alert: true })
  await ctx.answerCallbackQuery()
  await startFlow(ctx, competitorAddFlow, { ref: project.id })
})
onButton(projects, 'p:ccd', z.tuple([Id, z.string().regex(/^[\w-]{8}$/)]), async (ctx, [id, ref]) => {
  await removeCompetitor(ctx.deps.payload, accountOf(ctx), id, ref)
  await ctx.answerCallbackQuery({ text: ctx.t('competitors.removed') })
  await showCompetitors(ctx, id, ctx.t('competitors.removed'))
})

onButton(projects, 'p:ed', z.tuple([Id]), async (ctx, [id]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
  Object.entries(FIELD_CODES).forEach(([code, field], index) => {
    keyboard.text(ctx.t(`field.${field}`), cb('p:ef', id, code))
    if (index % 2 === 1) keyboard.row()
  })
  keyboard.row().text(ctx.t('back'), cb('p:o', id))
  await show(ctx, ctx.t('project.edit_which', { name: project.name }), keyboard)
})

onButton(projects, 'p:ef', z.tuple([Id, FieldCode]), async (ctx, [id, code]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  const field = FIELD_CODES[code]
  await ctx.answerCallbackQuery()
  await startFlow(ctx, projectEditFlow, {
    ref: id,
    data: { field: code, current: truncate(String(project[field] ?? ctx.t('not_set')), 300) },
  })
})

onButton(projects, 'p:del', z.tuple([Id]), async (ctx, [id]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  const keyboard = new InlineKeyboard()
    .text(ctx.t('project.delete_yes'), cb('p:dy', id))
    .text(ctx.t('no'), cb('p:o', id))
  await show(ctx, ctx.t('project.delete_confirm', { name: project.name }), keyboard)
})

onButton(projects, 'p:dy', z.tuple([Id]), async (ctx, [id]) => {
  const project = await getProject(ctx.deps.payload, accountOf(ctx), id)
  await deleteProject(ctx.deps.payload, accountOf(ctx), id)
  ctx.log.info({ project: id }, 'project deleted')
  await ctx.answerCallbackQuery({ text: ctx.t('project.deleted_toast') })
  await show(
    ctx,
    ctx.t('project.deleted', { name: project.name }),
    new InlineKeyboard().text(ctx.t('menu.projects'), cb('p:list', 1)),
  )
})
