import type { CollectionAfterChangeHook, CollectionBeforeChangeHook, TextareaFieldValidation, TextFieldSingleValidation } from 'payload'
import { textarea } from 'payload/shared'

import { actorOf } from '../access/actors'
import { AppError } from '../http/errors'
import { t } from '../i18n'
import { languageOf } from '../i18n/request'
import { addJob } from '../jobs/addJob'
import { broadcastHtmlProblem } from './html'

/** The context flag the broadcast job writes with (counts, `done`): past the staff rules. */
export const BROADCAST_JOB = 'broadcastJob'

/** A button's link: https with a host, nothing else (no javascript:, no tg:, no plain http). */
export function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password
  } catch {
    return false
  }
}

export const validateHttpsUrl: TextFieldSingleValidation = (value, { req }) =>
  !value || isHttpsUrl(value) ? true : t(languageOf(req), 'broadcast.url_https')

/** A broadcast text is Telegram HTML: what Telegram would refuse is refused on save, saying what to fix. */
export const validateBroadcastHtml: TextareaFieldValidation = (value, options) => {
  const base = textarea(value, options)
  if (base !== true || !value) return base
  const { req } = options
  const problem = broadcastHtmlProblem(value)
  return problem ? t(languageOf(req), problem.key, problem.params) : true
}

const CONTENT_FIELDS = ['title', 'textRu', 'textEn', 'button', 'segment'] as const

/**
 * Staff write drafts and press Send (draft → sending) once; what is sending or sent cannot be
 * edited or sent again (409). `done` and the counts are the job's alone.
 */
export const guardBroadcastStatus: CollectionBeforeChangeHook = ({ data, originalDoc, operation, req, context }) => {
  if (context?.[BROADCAST_JOB]) return data
  const language = languageOf(req)
  const before = operation === 'create' ? 'draft' : (originalDoc?.status ?? 'draft')
  const after = data.status ?? before
  if (before !== 'draft') {
    const changed = CONTENT_FIELDS.some((key) => key in data && JSON.stringify(data[key]) !== JSON.stringify(originalDoc?.[key]))
    if (changed || after !== before) throw new AppError('broadcast.not_draft', 409, language, { status: before })
    return data
  }
  if (after === 'done') throw new AppError('broadcast.not_draft', 409, language, { status: before })
  const button = { ...originalDoc?.button, ...data.button }
  if (button.url && (!button.textRu?.trim() || !button.textEn?.trim())) throw new AppError('broadcast.button_label', 422, language)
  if ((button.textRu || button.textEn) && !button.url) throw new AppError('broadcast.button_url', 422, language)
  if (after === 'sending') {
    const actor = actorOf(req)
    data.startedAt = new Date().toISOString()
    if (actor.kind === 'staff') data.sentBy = actor.id
  }
  return data
}

/** Send pressed: the job is queued in the same transaction as the status change. */
export const queueBroadcast: CollectionAfterChangeHook = async ({ doc, previousDoc, req, context }) => {
  if (context?.[BROADCAST_JOB]) return doc
  if (doc.status === 'sending' && previousDoc?.status !== 'sending') {
    await addJob('broadcast.send', { broadcastId: doc.id }, { req })
  }
  return doc
}
