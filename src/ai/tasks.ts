/** Every kind of model call the product makes; each has its own model chain and prompt. */
export const AI_TASKS = [
  'keywords.cluster',
  'article.outline',
  'article.section',
  'article.meta',
  'article.faq',
  'post.variant',
  'image.prompt',
  'image',
] as const
export type AiTask = (typeof AI_TASKS)[number]

/** Tasks whose prompts live in the prompts collection (an image is drawn from image.prompt's text). */
export const PROMPT_TASKS = AI_TASKS.filter((task) => task !== 'image') as Exclude<AiTask, 'image'>[]
export type PromptTask = (typeof PROMPT_TASKS)[number]
