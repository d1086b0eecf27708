import type { Credentials } from './credentials'
import type { Platform } from './platforms'

/** An image to send: a local file, and its public address where a platform fetches by URL. */
export type PublishImage = { path: string; alt: string; mimeType: string; url?: string | null }

/** What a connector publishes: built from an article or post by the publish job. */
export type PublishItem = {
  kind: 'article' | 'post'
  title: string
  /** Plain text with paragraphs separated by blank lines (the platform variant for posts). */
  text: string
  /** The article body as HTML (headings, paragraphs, lists, links); absent for posts. */
  html?: string
  /** The article body as stored (Lexical rich text), for platforms with their own markup (Telegram). */
  richText?: unknown
  slug?: string | null
  excerpt?: string | null
  metaTitle?: string | null
  metaDescription?: string | null
  tags?: string[]
  categories?: string[]
  /** An instant in the future makes platforms that can hold a post (WordPress) schedule it. */
  publishAt?: string | null
  /** A post made from an article: the article's live address, which the post links back to. */
  link?: string | null
  /** An article's FAQ, shown under its body where the platform takes HTML (WordPress). */
  faq?: { question: string; answer: string }[]
  /** The FAQ as schema.org FAQPage structured data (JSON-LD), built from the same questions. */
  faqJsonLd?: Record<string, unknown> | null
  /** The article's language: the words a platform adds around it (the FAQ heading) follow it. */
  language?: string | null
  images: PublishImage[]
  /**
   * The publication's random marker (stored on the row before the first call), so an
   * unconfirmed call can be looked up later without mistaking another installation's post.
   */
  marker: string
  /** When the first call started: a lookup only accepts posts made after it. */
  sentAt?: string | null
}

/** The marker token a connector hides in what it posts (a comment, a private note). */
export const markerToken = (marker: string) => `postforge-publication-${marker}`

/**
 * How far a platform's clock may run behind ours: posts up to this long before `sentAt` still
 * count as made after it.
 */
export const CLOCK_SKEW_MS = 10 * 60_000

/** The earliest instant (ms) a post found by a lookup may carry. */
export const lookupSince = (item: Pick<PublishItem, 'sentAt'>): number =>
  item.sentAt ? new Date(item.sentAt).getTime() - CLOCK_SKEW_MS : 0

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

/** What the publish job lends a connector besides the credentials. */
export type PublishContext<C> = {
  /**
   * Stores credentials the connector renewed (a refreshed token), re-sealed into the connection.
   * Connectors call it before using the new token, so a crash cannot lose a rotated token.
   */
  saveCredentials?: (next: C) => Promise<void>
}

/** A platform's connector: it receives that platform's credentials, parsed (`openCredentials`). */
export interface Connector<P extends Platform> {
  platform: P
  /** Problems that would make the platform refuse the item, as message codes; empty when fine. */
  validate(item: PublishItem): string[]
  publish(item: PublishItem, credentials: Credentials<P>, context?: PublishContext<Credentials<P>>): Promise<PublishResult>
  /**
   * Read-only: the remote posts an unconfirmed call may have made (our marker, or the exact
   * text where a platform keeps no marker), made after `sentAt`, newest first; empty when there
   * is none (yet). The caller skips posts another publication already holds. Absent where a
   * platform cannot be searched (Telegram): those stay unconfirmed for a person to check.
   */
  lookup?(item: PublishItem, credentials: Credentials<P>, context?: PublishContext<Credentials<P>>): Promise<PublishResult[]>
}
