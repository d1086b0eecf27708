import { jsonrepair } from 'jsonrepair'
import type { z } from 'zod'

export type Parsed<T> = { ok: true; value: T; repaired: boolean } | { ok: false; error: string }

/** The JSON inside a model's answer: code fences and chatter around the object removed. */
export function extractJson(text: string): string {
  const fenced = /```(?:json|JSON)?\s*([\s\S]*?)(?:```|$)/.exec(text)
  const body = (fenced ? fenced[1] : text).trim()
  const start = body.search(/[[{]/)
  if (start < 0) return body
  const end = Math.max(body.lastIndexOf('}'), body.lastIndexOf(']'))
  return end > start ? body.slice(start, end + 1) : body.slice(start)
}

/**
 * Parses a model's JSON answer against a schema. Broken JSON (fences, trailing commas, a
 * truncated tail) is repaired once; what still fails is reported with the reason.
 */
export function parseModelJson<S extends z.ZodType>(text: string, schema: S): Parsed<z.infer<S>> {
  const candidate = extractJson(text)
  let value: unknown
  let repaired = false
  try {
    value = JSON.parse(candidate)
  } catch {
    try {
      value = JSON.parse(jsonrepair(candidate))
      repaired = true
    } catch (error) {
      return { ok: false, error: `not JSON even after repair (${error instanceof Error ? error.message.slice(0, 120) : 'unknown'})` }
    }
  }
  const checked = schema.safeParse(value)
  if (!checked.success) {
    const issues = checked.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'value'} ${i.message}`)
      .join('; ')
    return { ok: false, error: `JSON does not match the expected shape: ${issues}` }
  }
  return { ok: true, value: checked.data, repaired }
}
