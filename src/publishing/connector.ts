import type { Platform } from './platforms'

/** What a connector publishes: built from an article or post by the publish job. */
export type PublishItem = {
  kind: 'article' | 'post'
  title: string
  /** Plain text with paragraphs separated by blank lines (the platform variant for posts). */
  text: string
  link?: string | null
  images: { path: string; alt: string; mimeType: string }[]
  /** Our publication id, so an unconfirmed call can be looked up later. */
  marker: string
}

/** `warnings`: it went out, but not quite as asked (e.g. a follow-up part failed). */
export type PublishResult = { remoteId: string; remoteUrl: string | null; warnings?: string[] }

/**
 * How a failure should be handled: retry later, ask the customer to reconnect, fix the content,
 * the destination is gone, or the outcome is unknown (never re-send blindly).
 */
export type FailureKind = 'retry' | 'reauth' | 'bad_request' | 'disconnected' | 'unconfirmed'

export class PublishError extends Error {
  constructor(
    public readonly kind: FailureKind,
    public readonly code: string,
    public readonly detail: string,
    public readonly retryAfterMs?: number,
  ) {
    super(`${code}: ${detail}`)
    this.name = 'PublishError'
  }
}

export interface Connector<C = Record<string, unknown>> {
  platform: Platform
  /** Problems that would make the platform refuse the item, as message codes; empty when fine. */
  validate(item: PublishItem): string[]
  publish(item: PublishItem, credentials: C): Promise<PublishResult>
}
