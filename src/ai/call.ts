import { APICallError, generateImage, generateText, Output, streamText, type LanguageModelUsage, type OutputInterface } from 'ai'
import type { Logger } from 'pino'
import type { Payload } from 'payload'
import { z } from 'zod'

import { env } from '../lib/env'
import { metrics } from '../lib/telemetry/metrics'
import { costOf, modelChain } from './config'
import { parseModelJson } from './json'
import { aiProvider, chatModel, isOpenRouter } from './provider'
import { finishRun, startRun, updateRunningRun, type RunScope } from './runs'
import type { AiTask } from './tasks'
import { trimSlash } from '../lib/text'

export type CallContext = {
  payload: Payload
  scope: RunScope
  log: Logger
  /** The job's abort signal (graceful shutdown): a call in flight stops and is recorded. */
  signal?: AbortSignal
}

export type PromptRef = { id: number; variant: string }
export type Messages = { system: string; prompt: string; promptRef?: PromptRef }

/**
 * What went wrong with one model call, in terms a customer can be told (the words are in
 * ./failure.ts; the raw error stays in ai-runs and the logs): the model is gone (404), the
 * provider's limits (429), a problem with our account there (401, 402, 403), the content was
 * refused by the provider's filter, no answer in time, anything else.
 */
export type FailureKind = 'unavailable' | 'busy' | 'service' | 'refused' | 'timeout' | 'error'

function failureKind(error: unknown, timedOut: boolean): FailureKind {
  if (timedOut) return 'timeout'
  const status = (error as { statusCode?: number } | undefined)?.statusCode
  const text = error instanceof Error ? `${error.message} ${(error as { responseBody?: string }).responseBody ?? ''}` : String(error)
  if (/content[ _-]?(filter|policy)|moderation|safety|flagged/i.test(text)) return 'refused'
  if (status === 404) return 'unavailable'
  if (status === 429) return 'busy'
  if (status === 401 || status === 402 || status === 403) return 'service'
  return 'error'
}

/** Every model of the task's chain failed or timed out: worth retrying later. */
export class AiUnavailableError extends Error {
  constructor(
    public readonly task: AiTask,
    public readonly failures: string[],
    /** Why each model that did not answer failed (one per such model, in chain order). */
    public readonly kinds: FailureKind[] = [],
  ) {
    super(`No model answered ${task}: ${failures.join(' | ')}`)
    this.name = 'AiUnavailableError'
  }
}

/** Every model answered, but none with output of the expected shape, even after repair. */
export class AiOutputError extends Error {
  constructor(
    public readonly task: AiTask,
    public readonly failures: string[],
  ) {
    super(`Model output for ${task} was unusable: ${failures.join(' | ')}`)
    this.name = 'AiOutputError'
  }
}

type Spent = { inputTokens: number; outputTokens: number; reportedCost?: number; images?: number }
type Attempt<T> = Spent & { value: T; model: string }

/** An answer that arrived (and cost tokens) but cannot be used. */
class InvalidOutput extends Error {
  constructor(
    message: string,
    public readonly spent: Spent & { model: string },
  ) {
    super(message)
  }
}

function spentOf(usage: LanguageModelUsage | undefined, metadata: unknown): Spent {
  const cost = (metadata as { openrouter?: { usage?: { cost?: unknown } } } | undefined)?.openrouter?.usage?.cost
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    reportedCost: typeof cost === 'number' ? cost : undefined,
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const status = (error as { statusCode?: number }).statusCode
  return `${status ? `HTTP ${status}: ` : ''}${error.message}`.slice(0, 300)
}

/** Reports output tokens seen so far while a call streams. */
type Progress = (outputTokens: number) => void

/** How often a streaming call's row is brought up to date with the tokens seen so far. */
const RUN_PROGRESS_MS = 2_000

/**
 * Tokens a text will cost before the provider tells us: about 3 characters a token, between
 * English (~4) and Russian (~2.5), so a crashed call is neither free nor charged double.
 */
export const estimateTokens = (chars: number) => Math.ceil(chars / 3)

/**
 * Tries the task's models in order, each with its own time limit and few retries, recording
 * every call (success or failure) in ai-runs. The row is opened as `running` with the prompt's
 * estimate before the call and refreshed while tokens stream, so a call the process never returns
 * from is still charged. The next model is tried on an error, a timeout or unusable output; when
 * all fail the error says why for each.
 */
async function runChain<T>(
  task: AiTask,
  ctx: CallContext,
  request: { promptRef?: PromptRef; promptChars: number; images?: number },
  attempt: (model: string, rest: string[], signal: AbortSignal, progress: Progress) => Promise<Attempt<T>>,
): Promise<T> {
  const chain = modelChain(task)
  const failures: string[] = []
  const kinds: FailureKind[] = []
  let unusable = 0
  const promptRef = request.promptRef
  const promptTokens = estimateTokens(request.promptChars)
  for (const [index, model] of chain.entries()) {
    ctx.signal?.throwIfAborted()
    const estimate = (outputTokens: number) => costOf(model, { inputTokens: promptTokens, outputTokens, images: request.images }, undefined)
    const runId = await startRun(ctx.payload, ctx.scope, { task, model, inputTokens: promptTokens, costUsd: estimate(0), prompt: promptRef })
    const timeout = AbortSignal.timeout(env().AI_TIMEOUT_MS)
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout
    const started = performance.now()
    let streamed = 0
    let lastWrite = 0
    let writing = Promise.resolve()
    const progress: Progress = (outputTokens) => {
      streamed = outputTokens
      const now = performance.now()
      if (now - lastWrite < RUN_PROGRESS_MS) return
      lastWrite = now
      writing = writing
        .then(() => updateRunningRun(ctx.payload, runId, { outputTokens, costUsd: estimate(outputTokens), latencyMs: now - started }))
        .catch((error: Error) => ctx.log.warn({ task, err: error.message }, 'running AI call not updated'))
    }
    try {
      const result = await attempt(model, chain.slice(index + 1), signal, progress)
      await writing
      // Observability (O6): calls, tokens and cost by model and task.
      countAiCall(task, result.model, 'ok', result.inputTokens, result.outputTokens, costOf(result.model, result, result.reportedCost))
      await finishRun(ctx.payload, runId, {
        task,
        model: result.model,
        outcome: 'ok',
        inputTokens: result.inputTokens,
        outputTokens: result.outputTokens,
        costUsd: costOf(result.model, result, result.reportedCost),
        latencyMs: performance.now() - started,
        prompt: promptRef,
      })
      return result.value
    } catch (error) {
      await writing
      const latencyMs = performance.now() - started
      const invalid = error instanceof InvalidOutput
      const outcome = invalid ? 'invalid_output' : timeout.aborted ? 'timeout' : 'error'
      const message = ctx.signal?.aborted ? 'stopped: the worker is shutting down' : describe(error)
      // A call we cut short (shutdown, time limit) or that broke mid-answer was billed for what
      // the provider read and wrote: the estimate stays. One the provider refused costs nothing.
      const charged = invalid ? null : signal.aborted || streamed > 0 ? { inputTokens: promptTokens, outputTokens: streamed } : { inputTokens: 0, outputTokens: 0 }
      countAiCall(
        task,
        invalid ? error.spent.model : model,
        outcome,
        invalid ? error.spent.inputTokens : charged!.inputTokens,
        invalid ? error.spent.outputTokens : charged!.outputTokens,
        invalid ? costOf(error.spent.model, error.spent, error.spent.reportedCost) : charged!.inputTokens > 0 ? estimate(charged!.outputTokens) : undefined,
      )
      await finishRun(ctx.payload, runId, {
        task,
        model: invalid ? error.spent.model : model,
        outcome,
        inputTokens: invalid ? error.spent.inputTokens : charged!.inputTokens,
        outputTokens: invalid ? error.spent.outputTokens : charged!.outputTokens,
        costUsd: invalid
          ? costOf(error.spent.model, error.spent, error.spent.reportedCost)
          : charged!.inputTokens > 0
            ? estimate(charged!.outputTokens)
            : undefined,
        latencyMs,
        error: message,
        prompt: promptRef,
      })
      if (ctx.signal?.aborted) throw error
      if (invalid) unusable += 1
      else kinds.push(failureKind(error, timeout.aborted))
      failures.push(`${model}: ${outcome} (${message})`)
      ctx.log.warn({ task, model, outcome, err: message }, 'model call failed, trying the next model')
    }
  }
  throw unusable === chain.length ? new AiOutputError(task, failures) : new AiUnavailableError(task, failures, kinds)
}

function countAiCall(task: string, model: string, outcome: string, inputTokens: number, outputTokens: number, cost: number | undefined | null) {
  const m = metrics()
  m.aiCalls.inc({ model, task, outcome })
  if (inputTokens > 0) m.aiTokens.inc({ model, task, direction: 'input' }, inputTokens)
  if (outputTokens > 0) m.aiTokens.inc({ model, task, direction: 'output' }, outputTokens)
  if (cost && cost > 0) m.aiCost.inc({ model, task }, cost)
}

const requestOf = (messages: Messages) => ({ promptRef: messages.promptRef, promptChars: messages.system.length + messages.prompt.length })

const callOptions = (task: AiTask, signal: AbortSignal) => ({
  maxRetries: env().AI_MAX_RETRIES,
  abortSignal: signal,
  // Lets proxies (LiteLLM, our fake in tests) tell the calls apart; providers ignore it.
  headers: { 'X-Postforge-Task': task },
})

/**
 * Asks for JSON of the schema's shape (`response_format: json_schema`, through the SDK's
 * `Output.object`) but leaves reading the answer to `parseModelJson`: a model that ignores the
 * format and wraps its JSON in prose, fences or a cut-off tail is still repaired, not refused.
 */
function jsonOutput(task: AiTask, schema: z.ZodType): OutputInterface<string, undefined, never> {
  // OpenAI allows letters, digits, '_' and '-' in the schema's name.
  const { responseFormat } = Output.object({ schema, name: task.replace(/[^A-Za-z0-9_-]/g, '_') })
  return {
    name: 'json',
    responseFormat,
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async () => undefined,
    createElementStreamTransform: () => undefined,
  }
}

/**
 * The server refused `response_format` itself (HTTP 400 naming it): an OpenAI-compatible server
 * without structured output. Such a call cost nothing; it is asked again in plain text.
 */
function formatRefused(error: unknown): boolean {
  if (!APICallError.isInstance(error) || error.statusCode !== 400) return false
  return /response_format|json_schema|structured output/i.test(`${error.message} ${error.responseBody ?? ''}`)
}

/**
 * A JSON answer validated by `schema`. The schema goes along as structured output where the
 * server supports it; whatever arrives is parsed, and broken JSON repaired once, before validation.
 */
export function generateJson<S extends z.ZodType>(
  task: AiTask,
  ctx: CallContext,
  messages: Messages,
  schema: S,
): Promise<z.infer<S>> {
  return runChain(task, ctx, requestOf(messages), async (model, rest, signal) => {
    const ask = (structured: boolean) =>
      generateText({
        model: chatModel(model, rest),
        system: messages.system,
        prompt: messages.prompt,
        temperature: 0.4,
        output: structured ? jsonOutput(task, schema) : undefined,
        ...callOptions(task, signal),
      })
    const result = await ask(true).catch((error: unknown) => {
      if (!formatRefused(error)) throw error
      ctx.log.warn({ task, model, err: describe(error) }, 'structured output refused by the server, asking in plain text')
      return ask(false)
    })
    const used = result.response.modelId || model
    const spent = spentOf(result.usage, result.providerMetadata)
    const parsed = parseModelJson(result.text, schema)
    if (!parsed.ok) throw new InvalidOutput(parsed.error, { ...spent, model: used })
    if (parsed.repaired) ctx.log.info({ task, model: used }, 'model JSON repaired')
    return { ...spent, value: parsed.value, model: used }
  })
}

/** Plain text (e.g. an image prompt). */
export function generatePlainText(task: AiTask, ctx: CallContext, messages: Messages): Promise<string> {
  return runChain(task, ctx, requestOf(messages), async (model, rest, signal) => {
    const result = await generateText({
      model: chatModel(model, rest),
      system: messages.system,
      prompt: messages.prompt,
      ...callOptions(task, signal),
    })
    const used = result.response.modelId || model
    const spent = spentOf(result.usage, result.providerMetadata)
    if (result.text.trim() === '') throw new InvalidOutput('empty answer', { ...spent, model: used })
    return { ...spent, value: result.text.trim(), model: used }
  })
}

/**
 * Streamed text: `onText` sees the text so far after every chunk. A model that fails mid-stream
 * is replaced by the next one, which starts the text again (`onRestart` is told).
 */
export function streamPlainText(
  task: AiTask,
  ctx: CallContext,
  messages: Messages,
  onText: (text: string) => void,
  onRestart: () => void = () => {},
): Promise<string> {
  let attempts = 0
  return runChain(task, ctx, requestOf(messages), async (model, rest, signal, progress) => {
    if (attempts++ > 0) onRestart()
    const result = streamText({
      model: chatModel(model, rest),
      system: messages.system,
      prompt: messages.prompt,
      ...callOptions(task, signal),
      // Errors arrive as stream parts below and are recorded there; the SDK would print them too.
      onError: () => {},
    })
    // A stream that fails rejects these too; they are read only after a clean end.
    for (const pending of [result.totalUsage, result.providerMetadata, result.response]) Promise.resolve(pending).catch(() => {})
    let text = ''
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') {
        text += part.text
        onText(text)
        progress(estimateTokens(text.length))
      } else if (part.type === 'error') {
        throw part.error instanceof Error ? part.error : new Error(String(part.error))
      } else if (part.type === 'abort') {
        throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
      }
    }
    const [usage, metadata, response] = await Promise.all([result.totalUsage, result.providerMetadata, result.response])
    const used = response.modelId || model
    const spent = spentOf(usage, metadata)
    if (text.trim() === '') throw new InvalidOutput('empty answer', { ...spent, model: used })
    return { ...spent, value: text, model: used }
  })
}

export type GeneratedImage = { data: Buffer; mediaType: string }

const ImagesResponse = z.object({
  data: z.array(z.object({ b64_json: z.string().min(1) })).min(1),
  usage: z.object({ cost: z.number().optional() }).passthrough().optional(),
})

/** OpenAI's images endpoint, for OpenAI-compatible servers (no SDK provider for it here). */
async function openAiCompatibleImage(model: string, prompt: string, signal: AbortSignal): Promise<Attempt<GeneratedImage>> {
  const { AI_BASE_URL, AI_API_KEY } = env()
  const response = await fetch(`${trimSlash(AI_BASE_URL)}/images/generations`, {
    method: 'POST',
    signal,
    headers: {
      'Content-Type': 'application/json',
      ...(AI_API_KEY ? { Authorization: `Bearer ${AI_API_KEY}` } : {}),
      'X-Postforge-Task': 'image',
    },
    body: JSON.stringify({ model, prompt, n: 1, size: '1024x1024', response_format: 'b64_json' }),
  })
  if (!response.ok) {
    const body = (await response.text()).slice(0, 200)
    throw Object.assign(new Error(`images endpoint answered ${response.status}: ${body}`), { statusCode: response.status })
  }
  const parsed = ImagesResponse.safeParse(await response.json())
  if (!parsed.success) throw new Error('images endpoint answered without an image')
  return {
    value: { data: Buffer.from(parsed.data.data[0].b64_json, 'base64'), mediaType: 'image/png' },
    model,
    inputTokens: 0,
    outputTokens: 0,
    images: 1,
    reportedCost: parsed.data.usage?.cost,
  }
}

/** One image from the image model chain. */
export function generateImageFile(ctx: CallContext, prompt: string): Promise<GeneratedImage> {
  return runChain('image', ctx, { promptChars: prompt.length, images: 1 }, async (model, _rest, signal) => {
    if (!isOpenRouter()) return openAiCompatibleImage(model, prompt, signal)
    const result = await generateImage({
      model: aiProvider().imageModel(model),
      prompt,
      n: 1,
      maxRetries: env().AI_MAX_RETRIES,
      abortSignal: signal,
      headers: { 'X-Postforge-Task': 'image' },
    })
    const cost = (result.providerMetadata as { openrouter?: { usage?: { cost?: unknown } } } | undefined)?.openrouter?.usage?.cost
    return {
      value: { data: Buffer.from(result.image.uint8Array), mediaType: result.image.mediaType || 'image/png' },
      model,
      inputTokens: result.usage?.inputTokens ?? 0,
      outputTokens: result.usage?.outputTokens ?? 0,
      images: 1,
      reportedCost: typeof cost === 'number' ? cost : undefined,
    }
  })
}
