import { AiOutputError, AiUnavailableError, type FailureKind } from './call'

/**
 * The words (an i18n key) a customer reads for a generation that failed for good: what happened,
 * never the model's id or an HTTP status (those stay in ai-runs, the logs and the staff jobs view).
 * Each text also says what the customer can do: press "Try again", wait, or write to support.
 */
export function failureReasonKey(error: unknown): string {
  if (error instanceof AiOutputError) return 'ai.reason.output'
  if (!(error instanceof AiUnavailableError)) return 'ai.reason.internal'
  const kinds = new Set<FailureKind>(error.kinds)
  if (kinds.has('refused')) return 'ai.reason.refused'
  if (kinds.size === 1) {
    const [only] = kinds
    if (only !== 'error') return `ai.reason.${only}`
  }
  if (kinds.has('busy')) return 'ai.reason.busy'
  if (kinds.has('service')) return 'ai.reason.service'
  return 'ai.reason.models'
}
