import type { CollectionBeforeChangeHook } from 'payload'

import { beingGenerated } from '../../../content/generating'
import { languageOf } from '../../../i18n/request'
import { AppError } from '../../../http/errors'
import { idOf } from '../../../lib/ids'
import type { Article } from '../../../payload-types'

/**
 * An article the AI is writing (or is about to rewrite) stays where it is in the workflow until
 * the text is ready, whichever face asks (bot, REST /move, GraphQL, admin): a half-written article
 * must not reach review, nor change the keyword the pipeline finds it by. The pipeline itself (the
 * system) finishes it and moves it in one write.
 */
export const holdWhileGenerating: CollectionBeforeChangeHook<Article> = async ({ data, originalDoc, operation, req }) => {
  if (operation !== 'update' || !originalDoc) return data
  if (req.context?.systemActor === true || !req.user) return data
  // The pipeline finds the article it is writing (after a crash, on its retry) by its keyword:
  // another keyword now would make it start a second article.
  if ('mainKeyword' in data && String(idOf(data.mainKeyword) ?? '') !== String(idOf(originalDoc.mainKeyword) ?? '') && (await beingGenerated(originalDoc, req))) {
    throw new AppError('workflow.generating_keyword', 409, languageOf(req), { title: originalDoc.title })
  }
  if (!data.workflowStatus || data.workflowStatus === originalDoc.workflowStatus) return data
  if (await beingGenerated(originalDoc, req)) {
    throw new AppError('workflow.generating', 409, languageOf(req), { title: originalDoc.title })
  }
  return data
}
