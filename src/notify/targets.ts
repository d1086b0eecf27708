/**
 * What a button in a message sent by the domain opens in the bot, as the bot's callback data.
 * This leaf module is the contract between the two, like the job contracts: the domain (AI jobs'
 * messages, notices) names what a button opens and never spells the bot's strings itself; the
 * bot's handlers that answer them are `c:o` (src/bot/features/content.ts, a content card), `k:cl`
 * (src/bot/features/keywords.ts, a project's clusters) and `g:rt` (src/bot/features/retry.ts).
 */
export const opens = {
  /** An article's or a post's card. */
  content: (collection: 'articles' | 'posts', id: number) => `c:o:${collection === 'articles' ? 'a' : 'p'}:${id}`,
  article: (id: number) => opens.content('articles', id),
  post: (id: number) => opens.content('posts', id),
  /** A project's keyword clusters, first page. */
  clusters: (projectId: number) => `k:cl:${projectId}:1`,
  /** "Try again" on a generation that failed for good: the token of the stored job. */
  retry: (token: string) => `g:rt:${token}`,
}

/**
 * What every limit refusal offers (billing, helper B3): the plans to upgrade to and the credit
 * packs, answered by `b:pl` and `b:pk` in src/bot/features/billing.ts. Labels are text keys.
 */
export const UPGRADE_BUTTONS = [
  { key: 'billing.upgrade', data: 'b:pl' },
  { key: 'billing.buy_credits', data: 'b:pk' },
] as const
