import { createOpenRouter, type OpenRouterProvider } from '@openrouter/ai-sdk-provider'
import type { LanguageModel } from 'ai'

import { env } from '../lib/env'
import { AiConfigError, aiConfigured } from './config'

let cached: { key: string; provider: OpenRouterProvider } | undefined

/**
 * The configured provider. OpenRouter, or any OpenAI-compatible base URL (Ollama, vLLM, LiteLLM):
 * the OpenRouter provider speaks the same wire format, and in `openai-compatible` mode sends none
 * of OpenRouter's extensions (fallback lists, usage accounting).
 */
export function aiProvider(): OpenRouterProvider {
  const { AI_BASE_URL, AI_API_KEY } = env()
  if (!aiConfigured()) throw new AiConfigError('AI_API_KEY is not set (required for OpenRouter)')
  const key = `${AI_BASE_URL}|${AI_API_KEY ?? ''}`
  if (cached?.key !== key) {
    cached = {
      key,
      provider: createOpenRouter({
        baseURL: AI_BASE_URL,
        // Local servers (Ollama) need no key; the header is then ignored.
        apiKey: AI_API_KEY ?? 'no-key',
        // `strict` asks for usage on streams too (stream_options.include_usage), which
        // OpenAI-compatible servers understand.
        compatibility: 'strict',
        appName: 'Postforge',
      }),
    }
  }
  return cached.provider
}

export function isOpenRouter(): boolean {
  return env().AI_PROVIDER === 'openrouter'
}

/**
 * A chat model. On OpenRouter the rest of the chain goes along as `models`, so OpenRouter falls
 * back server-side too; our own loop still moves down the chain on errors and timeouts.
 */
export function chatModel(modelId: string, rest: string[]): LanguageModel {
  // JSON tasks send their schema as `response_format: json_schema` without `strict`: OpenAI's strict
  // mode refuses schemas with optional fields or length limits (ours have both), while a non-strict
  // schema still makes the model answer JSON of that shape.
  const structuredOutputs = { strict: false }
  if (!isOpenRouter()) return aiProvider().chat(modelId, { structuredOutputs })
  return aiProvider().chat(modelId, {
    structuredOutputs,
    usage: { include: true },
    ...(rest.length > 0 ? { models: [modelId, ...rest] } : {}),
  })
}
