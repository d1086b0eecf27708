import { Composer, InlineKeyboard } from 'grammy'
import { z } from 'zod'

import { decodeTextFile } from '../../keywords/parse'
import { cb, onButton } from '../callbacks'
import type { BotContext } from '../context'
import { describeKnownError } from '../errors'
import { isLimitRefusal, upgradeKeyboard } from '../keyboards/upgrade'
import { say, truncate } from '../ui'

/**
 * A conversation is a list of steps kept in the session (Redis, with a TTL): which flow, which
 * step, and the answers so far. Nothing lives in process memory, so any bot instance on the same
 * Redis continues where the user was, and a refused answer never loses the earlier ones.
 */
export type FlowState = {
  name: string
  step: number
  data: Record<string, string>
  /** The record the flow works on (project, article...), validated when the flow started. */
  ref?: number
}

export type Choice = { label: string; value: string }

export type FlowStep = {
  key: string
  prompt: (ctx: BotContext, flow: FlowState) => string
  schema: z.ZodType<string>
  /** Offers a button that leaves the answer empty (Skip, or Clear when editing). */
  optional?: 'skip' | 'clear'
  choices?: (ctx: BotContext, flow: FlowState) => Choice[]
  /** Also accepts a text file; its content is the answer. */
  document?: { maxBytes: number; extensions: string[] }
  /** The answer is handed to `finish` but not kept in the session (large pasted lists). */
  transient?: boolean
}

export type FlowDef = {
  name: string
  steps: (flow: FlowState) => FlowStep[]
  /** Runs after the last answer; the flow stays open (at its last step) if this throws. */
  finish: (ctx: BotContext, flow: FlowState, last: string) => Promise<void>
}

export async function startFlow(
  ctx: BotContext,
  def: FlowDef,
  init: { ref?: number; data?: Record<string, string> } = {},
) {
  ctx.session.flow = { name: def.name, step: 0, data: init.data ?? {}, ref: init.ref }
  await ask(ctx, def, ctx.session.flow)
}

async function ask(ctx: BotContext, def: FlowDef, flow: FlowState, prefix = '') {
  const steps = def.steps(flow)
  const step = steps[flow.step]
  const keyboard = new InlineKeyboard()
  step
    .choices?.(ctx, flow)
    .forEach((choice, index) => keyboard.text(choice.label, cb('f:c', flow.step, index)).row())
  if (step.optional)
    keyboard.text(
      ctx.t(step.optional === 'skip' ? 'flow.skip' : 'flow.clear'),
      cb('f:s', flow.step),
    )
  keyboard.text(ctx.t('flow.cancel'), 'f:x')
  const progress =
    steps.length > 1
      ? ctx.t('flow.progress', { step: flow.step + 1, total: steps.length }) + '\n'
      : ''
  await say(ctx, `${prefix}${progress}${step.prompt(ctx, flow)}`, keyboard)
}

/** A translated reason for a refused answer, naming the limit that was crossed. */
function refusal(ctx: BotContext, error: z.ZodError, value: string): string {
  const issue = error.issues[0]
  if (issue?.code === 'too_big')
    return ctx.t('v.too_long', { max: Number(issue.maximum), length: value.length })
  if (issue?.code === 'too_small')
    return Number(issue.minimum) <= 1
      ? ctx.t('v.required')
      : ctx.t('v.too_short', { min: Number(issue.minimum) })
  if (issue?.code === 'custom' || issue?.code === 'invalid_format') {
    const key = `v.${issue.message}`
    const text = ctx.t(key, { value: truncate(value, 80) })
    if (text !== key) return text
  }
  if (issue?.code === 'invalid_value') return ctx.t('v.choose')
  return ctx.t('v.invalid')
}

async function answer(ctx: BotContext, def: FlowDef, flow: FlowState, value: string) {
  const steps = def.steps(flow)
  const step = steps[flow.step]
  const parsed = step.schema.safeParse(value)
  if (!parsed.success) {
    await ask(ctx, def, flow, `⚠️ ${refusal(ctx, parsed.error, value)}\n\n`)
    return
  }
  const last = flow.step === steps.length - 1
  if (!step.transient) flow.data[step.key] = parsed.data
  if (!last) {
    ctx.session.flow = { ...flow, step: flow.step + 1 }
    await ask(ctx, def, ctx.session.flow)
    return
  }
  ctx.session.flow = { ...flow }
  try {
    await def.finish(ctx, ctx.session.flow, parsed.data)
    if (ctx.session.flow?.name === def.name) ctx.session.flow = undefined
  } catch (error) {
    const known = describeKnownError(error, ctx.t)
    if (known === null) throw error
    ctx.log.info({ flow: def.name, err: known }, 'flow finish refused')
    // A plan limit is not fixed by answering again: the conversation ends with the way to upgrade.
    if (isLimitRefusal(error)) {
      ctx.session.flow = undefined
      await ctx.reply(known, { parse_mode: 'HTML', reply_markup: upgradeKeyboard(ctx.lang) })
      return
    }
    await ask(ctx, def, flow, `⚠️ ${known}\n\n`)
  }
}

/** Leaves the open conversation, if any; returns whether there was one. */
export function leaveFlow(ctx: BotContext): boolean {
  const open = ctx.session.flow !== undefined
  ctx.session.flow = undefined
  return open
}

async function downloadText(
  ctx: BotContext,
  step: FlowStep,
): Promise<{ text: string } | { error: string }> {
  const document = ctx.message?.document
  const limits = step.document!
  const name = (document?.file_name ?? '').toLowerCase()
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.')) : ''
  if (!document || !limits.extensions.includes(extension)) {
    return { error: ctx.t('file.type', { types: limits.extensions.join(', ') }) }
  }
  if ((document.file_size ?? 0) > limits.maxBytes) {
    return { error: ctx.t('file.too_big', { max: Math.round(limits.maxBytes / 1024) }) }
  }
  const file = await ctx.api.getFile(document.file_id)
  if (!file.file_path) return { error: ctx.t('file.unreadable') }
  const response = await fetch(ctx.deps.fileUrl(file.file_path), {
    signal: AbortSignal.timeout(15_000),
  })
  const bytes = Buffer.from(await response.arrayBuffer())
  if (!response.ok) return { error: ctx.t('file.unreadable') }
  if (bytes.length > limits.maxBytes)
    return { error: ctx.t('file.too_big', { max: Math.round(limits.maxBytes / 1024) }) }
  const text = decodeTextFile(bytes)
  if (text.includes('\u0000')) return { error: ctx.t('file.not_text') }
  return { text }
}

const StepIndex = z.coerce.number().int().min(0).max(50)
const StepArg = z.tuple([StepIndex])

/**
 * Routes text, files and the flow's buttons to the open conversation. Commands are not
 * answers: they reach their own handlers, and /cancel leaves the conversation.
 */
export function flowInput(defs: FlowDef[]): Composer<BotContext> {
  const composer = new Composer<BotContext>()
  const open = (ctx: BotContext) => {
    const flow = ctx.session.flow
    const def = flow ? defs.find((d) => d.name === flow.name) : undefined
    if (flow && !def) ctx.session.flow = undefined
    return flow && def ? { flow, def } : null
  }

  composer.on('message:text', async (ctx, next) => {
    const current = open(ctx)
    if (!current || ctx.message.text.startsWith('/')) return next()
    await answer(ctx, current.def, current.flow, ctx.message.text)
  })

  composer.on('message:document', async (ctx, next) => {
    const current = open(ctx)
    if (!current) return next()
    const step = current.def.steps(current.flow)[current.flow.step]
    if (!step.document) {
      await ask(ctx, current.def, current.flow, `⚠️ ${ctx.t('flow.text_expected')}\n\n`)
      return
    }
    const result = await downloadText(ctx, step)
    if ('error' in result) {
      await ask(ctx, current.def, current.flow, `⚠️ ${result.error}\n\n`)
      return
    }
    await answer(ctx, current.def, current.flow, result.text)
  })

  composer.on('message', async (ctx, next) => {
    const current = open(ctx)
    if (!current) return next()
    await ask(ctx, current.def, current.flow, `⚠️ ${ctx.t('flow.text_expected')}\n\n`)
  })

  onButton(
    composer,
    'f:c',
    z.tuple([StepIndex, z.coerce.number().int().min(0).max(50)]),
    async (ctx, [stepIndex, index]) => {
      const current = open(ctx)
      const step = current?.def.steps(current.flow)[stepIndex]
      const choice =
        current && current.flow.step === stepIndex
          ? step?.choices?.(ctx, current.flow)[index]
          : undefined
      if (!current || !choice)
        return ctx.answerCallbackQuery({ text: ctx.t('flow.stale'), show_alert: true })
      await ctx.answerCallbackQuery()
      await answer(ctx, current.def, current.flow, choice.value)
    },
  )

  onButton(composer, 'f:s', StepArg, async (ctx, [stepIndex]) => {
    const current = open(ctx)
    const step = current?.def.steps(current.flow)[stepIndex]
    if (!current || current.flow.step !== stepIndex || !step?.optional) {
      return ctx.answerCallbackQuery({ text: ctx.t('flow.stale'), show_alert: true })
    }
    await ctx.answerCallbackQuery()
    await answer(ctx, current.def, current.flow, '')
  })

  onButton(composer, 'f:x', z.tuple([]), async (ctx) => {
    const left = leaveFlow(ctx)
    await ctx.answerCallbackQuery()
    await say(ctx, ctx.t(left ? 'cancel.done' : 'cancel.nothing'), menuButton(ctx))
  })

  return composer
}

export function menuButton(ctx: BotContext) {
  return new InlineKeyboard().text(ctx.t('menu.open'), 'm:home')
}
