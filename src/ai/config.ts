import { z } from 'zod'

import { env } from '../lib/env'
import { AI_TASKS, type AiTask } from './tasks'

/**
 * Which models each task uses, primary first. AI_MODELS overrides them as JSON
 * (`{"article.section":["a","b"],"article":["c"],"default":["d"]}`) or as
 * `article.section=a,b;default=d`. A key may be a task, a task's prefix (`article`) or `default`.
 */
export const DEFAULT_MODELS: Record<AiTask, string[]> = {
  'keywords.cluster': ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001'],
  'article.outline': ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001'],
  'article.section': ['anthropic/claude-3.5-haiku', 'openai/gpt-4o-mini'],
  'article.meta': ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001'],
  'article.faq': ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001'],
  'post.variant': ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001'],
  'image.prompt': ['openai/gpt-4o-mini'],
  image: ['google/gemini-2.5-flash-image'],
}

const ModelId = z.string().trim().regex(/^[\w.:/@+-]{1,200}$/, 'is not a model id')
const ChainSpec = z.record(z.string(), z.union([z.array(ModelId).min(1), z.string()]))

export class AiConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AiConfigError'
  }
}

/** OpenRouter needs a key; an OpenAI-compatible server (Ollama, vLLM) may not. */
export function aiConfigured(): boolean {
  const { AI_PROVIDER, AI_API_KEY } = env()
  return AI_PROVIDER === 'openai-compatible' || Boolean(AI_API_KEY)
}

function parseSpec(raw: string): Record<string, string[]> {
  const text = raw.trim()
  const entries: Array<[string, string[] | string]> = text.startsWith('{')
    ? Object.entries(
        (() => {
          const parsed = ChainSpec.safeParse(JSON.parse(text))
          if (!parsed.success) throw new AiConfigError(`AI_MODELS ${parsed.error.issues[0]?.message}`)
          return parsed.data
        })(),
      )
    : text
        .split(';')
        .filter((part) => part.trim() !== '')
        .map((part) => {
          const [key, models] = part.split('=')
          if (!key || models === undefined) throw new AiConfigError(`AI_MODELS entry "${part}" is not task=model,model`)
          return [key.trim(), models]
        })
  return Object.fromEntries(
    entries.map(([key, value]) => {
      const list = (Array.isArray(value) ? value : value.split(',')).map((m) => m.trim()).filter(Boolean)
      const checked = z.array(ModelId).min(1).safeParse(list)
      if (!checked.success) throw new AiConfigError(`AI_MODELS for ${key}: ${checked.error.issues[0]?.message}`)
      return [key, checked.data]
    }),
  )
}

let cache: { raw: string | undefined; chains: Record<AiTask, string[]> } | undefined

/** The model chain of every task, from AI_MODELS over the defaults (parsed once per setting). */
export function modelChains(): Record<AiTask, string[]> {
  const raw = env().AI_MODELS
  if (cache && cache.raw === raw) return cache.chains
  const spec = raw ? parseSpec(raw) : {}
  const chains = Object.fromEntries(
    AI_TASKS.map((task) => {
      const prefix = task.split('.')[0]
      const fromSpec = spec[task] ?? spec[prefix] ?? (task === 'image' ? undefined : spec.default)
      return [task, fromSpec ?? DEFAULT_MODELS[task]]
    }),
  ) as Record<AiTask, string[]>
  cache = { raw, chains }
  return chains
}

export function modelChain(task: AiTask): string[] {
  return modelChains()[task]
}

const Price = z.object({ input: z.number().min(0), output: z.number().min(0), image: z.number().min(0).optional() })
const PriceTable = z.record(z.string(), Price)
export type Price = z.infer<typeof Price>

let priceCache: { raw: string | undefined; table: Record<string, Price> } | undefined

/** USD per million tokens per model, from AI_PRICES (for providers that report no cost). */
export function priceTable(): Record<string, Price> {
  const raw = env().AI_PRICES
  if (priceCache && priceCache.raw === raw) return priceCache.table
  let table: Record<string, Price> = {}
  if (raw && raw.trim() !== '') {
    const parsed = PriceTable.safeParse(JSON.parse(raw))
    if (!parsed.success) throw new AiConfigError(`AI_PRICES ${parsed.error.issues[0]?.message}`)
    table = parsed.data
  }
  priceCache = { raw, table }
  return table
}

/** The provider's reported cost when there is one, else the price table's, else unknown. */
export function costOf(
  model: string,
  usage: { inputTokens: number; outputTokens: number; images?: number },
  reported: number | undefined,
): number | undefined {
  if (reported !== undefined && Number.isFinite(reported)) return reported
  const price = priceTable()[model]
  if (!price) return undefined
  return (
    (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000 +
    (usage.images ?? 0) * (price.image ?? 0)
  )
}
