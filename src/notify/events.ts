import { z } from 'zod'

const id = z.number().int().positive()
const content = z.enum(['articles', 'posts'])

/**
 * Every event the customer hears about in the bot, with the data its notice needs. The domain
 * names the event and its data (`notice()` in ./index.ts); the bot's layer (src/bot/notices.ts)
 * turns them into a text in the customer's language and buttons. A leaf module: zod only, so the
 * job contracts can carry it.
 */
export const NoticeEvents = {
  /** Staff approved an item of a project whose reviews staff do. */
  'review.approved': z.object({ title: z.string(), note: z.string().optional() }),
  /** Staff asked for changes, with their note. */
  'review.changes_requested': z.object({ title: z.string(), note: z.string().optional() }),
  /** A publication failed for good: the reason in the customer's words and what can fix it. */
  'publication.failed': z.object({
    publicationId: id,
    title: z.string(),
    connection: z.string(),
    connectionId: id,
    reason: z.string(),
    /** The failure's kind: reauth/disconnected offer a reconnect, bad_request an edit. */
    kind: z.string().optional(),
    collection: content,
    contentId: id.optional(),
  }),
  /** A publication's outcome is unknown: the customer says whether it is out or sends it again. */
  'publication.unconfirmed': z.object({
    publicationId: id,
    title: z.string(),
    connection: z.string(),
    /** The stored reason (already in the customer's language) ... */
    reason: z.string().optional(),
    /** ... or a text key, read in the customer's language (a worker that died mid-call). */
    reasonKey: z.string().optional(),
    collection: content,
    contentId: id.optional(),
  }),
  /** A publication went out: its live address where the platform gives one. */
  'publication.published': z.object({
    publicationId: id,
    title: z.string(),
    connection: z.string(),
    link: z.string().optional(),
    collection: content,
    contentId: id.optional(),
  }),
  /** A lookup found an unconfirmed publication on its platform. */
  'publication.found': z.object({ publicationId: id, title: z.string(), connection: z.string(), link: z.string() }),
  /** The bot lost its rights in a channel the customer publishes to. */
  'channel.lost': z.object({ channel: z.string() }),
  /** ... and has them back. */
  'channel.restored': z.object({ channel: z.string() }),
  /** An OAuth sign-in connected a platform, or reconnected (`replaced`) an existing connection. */
  'connection.connected': z.object({ connectionId: id, connection: z.string(), platform: z.string(), replaced: z.boolean() }),
  /** A connection's access lapsed outside any publication (a token that could not be renewed). */
  'connection.lost': z.object({ connectionId: id, connection: z.string(), reason: z.string() }),
  // Staff tools (O8): a support reply written in the admin inbox, for the customer's chat.
  'support.reply': z.object({ messageId: id, text: z.string() }),
} as const

export type NoticeEvent = keyof typeof NoticeEvents
export type NoticeData<E extends NoticeEvent> = z.infer<(typeof NoticeEvents)[E]>
export const NOTICE_EVENTS = Object.keys(NoticeEvents) as [NoticeEvent, ...NoticeEvent[]]

/** One notice: whom it is for, what happened, and the data to tell it. */
export type Notice = { [E in NoticeEvent]: { accountId: number; event: E; data: NoticeData<E> } }[NoticeEvent]

/** A notice as the `notice.send` job carries it (parsed per event when the job runs). */
export const NoticeJob = z
  .object({ accountId: id, event: z.enum(NOTICE_EVENTS), data: z.record(z.string(), z.unknown()) })
  .transform((job, ctx) => {
    const data = NoticeEvents[job.event].safeParse(job.data)
    if (!data.success) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: data.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ') })
      return z.NEVER
    }
    return { accountId: job.accountId, event: job.event, data: data.data } as Notice
  })
