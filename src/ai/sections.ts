import { databaseScope, redis } from '../lib/redis'
import { env } from '../lib/env'
import { acquireSlot, type Lease } from '../lib/semaphore'
import { assertWithinDailySpend } from '../usage/spend'
import type { CallContext, Messages } from './call'
import type { ChatProgress, DraftStream } from './chat'

/** Redis keys of the section slots: one account's, and the installation's. */
export const sectionSlotKeys = (accountId: number) => ({
  account: `pf:${databaseScope()}:ai-sections:account:${accountId}`,
  all: `pf:${databaseScope()}:ai-sections:all`,
})

/**
 * A slot for one section call under both shared bounds (the account's first, then the
 * installation's: always in that order, so two jobs never wait on each other crosswise). Redis
 * away is no reason to stop writing: the job then runs with its own bound only, and says so.
 */
async function sectionSlots(accountId: number, ctx: CallContext): Promise<Lease[]> {
  const keys = sectionSlotKeys(accountId)
  const leases: Lease[] = []
  try {
    leases.push(await acquireSlot(redis(), keys.account, { limit: env().AI_ACCOUNT_SECTION_CONCURRENCY, signal: ctx.signal }))
    leases.push(await acquireSlot(redis(), keys.all, { limit: env().AI_GLOBAL_SECTION_CONCURRENCY, signal: ctx.signal }))
    return leases
  } catch (error) {
    await releaseAll(leases)
    if (ctx.signal?.aborted) throw error
    ctx.log.warn({ err: (error as Error).message }, 'section slots unavailable (Redis), writing within the job bound only')
    return []
  }
}

const releaseAll = (leases: Lease[]) => Promise.all(leases.map((l) => l.release().catch(() => {})))

/** `[1,2,3,5]` → `1–3, 5` (numbers from 1 as the customer counts). */
export function numberRanges(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b).map((i) => i + 1)
  const parts: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1
    parts.push(j === i ? String(sorted[i]) : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : `${sorted[i]}–${sorted[j]}`)
    i = j + 1
  }
  return parts.join(', ')
}

export type SectionWork = {
  /** Outline indexes still to write, in outline order. */
  missing: number[]
  total: number
  /** Sections written at once by this job. */
  limit: number
  chat: ChatProgress
  ctx: CallContext
  accountId: number
  headingOf: (index: number) => string
  prompt: (index: number) => Promise<Messages>
  /** The model call for one section (its own job key), streaming the text so far. */
  write: (index: number, messages: Messages, onText: (soFar: string) => void) => Promise<string>
  /** Saves a finished section (never called twice at once) and answers its cleaned Markdown. */
  keep: (index: number, text: string) => Promise<string>
  /** Sections of the article finished so far (saved ones included). */
  doneCount: () => number
  /** Saved sections from earlier runs (outline index → cleaned Markdown). */
  saved: ReadonlyMap<number, string>
  /** How many sections, from the first in outline order, the chat has had already. */
  postedUpTo: number
  /** Records that the chat has had the sections before `upTo` (called one after another, never with a save). */
  markPosted: (upTo: number) => Promise<void>
}

/**
 * Writes the missing sections of an article, up to `limit` at once and within the account's and
 * the installation's shared bounds; answers how many it wrote.
 *
 * - Each section is saved the moment it is finished (saves one after another), so a crash costs
 *   only the sections being written, and a retry writes only the missing ones.
 * - The daily spend cap is checked before each section's call, as when they ran one by one.
 * - The first failure stops new sections from starting; those already being written finish and
 *   are saved (they are paid for), then the failure is thrown for the job to fail or retry.
 * - The chat gets the sections in outline order whatever order they finish in: only the next
 *   one due streams its draft, and a finished one is posted once every earlier one is. How far
 *   the chat has got is saved (`postedUpTo`): a run that resumes after a failure or a stop first
 *   posts the saved sections the chat has not had, in order, so it ends with every section once.
 * - The status line says which sections are being written ("sections 3–6 of 9, 2 done").
 */
export async function writeSections(work: SectionWork): Promise<number> {
  const { missing, chat } = work
  const writing = new Set<number>()
  const finished = new Map<number, string>()
  const drafts = new Map<number, DraftStream>()
  let failure: { error: unknown } | null = null
  let next = 0
  let written = 0
  // The outline index the chat is due next: everything before it has been posted.
  let due = work.postedUpTo
  const postable = (index: number) => finished.get(index) ?? work.saved.get(index)
  let saving: Promise<unknown> = Promise.resolve()
  let posting: Promise<unknown> = Promise.resolve()
  let reporting: Promise<unknown> = Promise.resolve()
  let lastStatus = ''

  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = saving.then(fn)
    saving = result.catch(() => {})
    return result
  }

  const report = () => {
    reporting = reporting.then(async () => {
      const now = [...writing].sort((a, b) => a - b)
      if (now.length === 0) return
      const [key, params] =
        now.length === 1
          ? (['ai.article.section', { index: now[0] + 1, total: work.total, heading: work.headingOf(now[0]) }] as const)
          : (['ai.article.sections', { writing: numberRanges(now), total: work.total, done: work.doneCount() }] as const)
      const text = JSON.stringify([key, params])
      if (text === lastStatus) return
      lastStatus = text
      await chat.status(key, params)
    }).catch((error: Error) => work.ctx.log.warn({ err: error.message }, 'section status not shown'))
  }

  const post = () => {
    posting = posting.then(async () => {
      const from = due
      for (let markdown = postable(due); markdown !== undefined; markdown = postable(due)) {
        // A section saved by an earlier run has no draft in this one: it is posted as it was kept.
        await (drafts.get(due) ?? chat.draft(`📄 ${work.headingOf(due)}\n\n`)).finish(markdown)
        due += 1
      }
      if (due > from) await serially(() => work.markPosted(due))
    }).catch((error: Error) => work.ctx.log.warn({ err: error.message }, 'finished section not posted to the chat'))
  }

  const writeOne = async (index: number) => {
    const leases = await sectionSlots(work.accountId, work.ctx)
    let markdown: string
    try {
      if (failure) return
      await assertWithinDailySpend(work.ctx.payload, work.accountId)
      writing.add(index)
      report()
      const messages = await work.prompt(index)
      const draft = chat.draft(`📄 ${work.headingOf(index)}\n\n`)
      drafts.set(index, draft)
      const text = await work.write(index, messages, (soFar) => {
        if (due === index) draft.update(soFar)
      })
      markdown = await serially(() => work.keep(index, text))
      written += 1
    } finally {
      writing.delete(index)
      await releaseAll(leases)
    }
    finished.set(index, markdown)
    post()
    report()
  }

  const lane = async () => {
    while (!failure && next < missing.length) {
      const index = missing[next]
      next += 1
      try {
        await writeOne(index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }

  // Resumed: the saved sections the chat has not had yet (the run before stopped or failed
  // with a gap before them), before anything new is written.
  post()
  await posting
  await Promise.all(Array.from({ length: Math.max(1, Math.min(work.limit, missing.length)) }, lane))
  // Posting (and its record) is over before the job fails or goes on: the failure's own save of
  // the article must not race it.
  await posting
  await saving
  await reporting
  if (failure) throw (failure as { error: unknown }).error
  return written
}
