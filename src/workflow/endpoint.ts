import type { Endpoint, PayloadRequest } from 'payload'
import { z } from 'zod'

import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import type { WorkflowCollection } from './hooks'
import { WORKFLOW_STATUSES } from './transitions'

const MoveBody = z.object({
  to: z.enum(WORKFLOW_STATUSES),
  note: z.string().trim().max(2000).optional(),
})

/**
 * POST /api/<collection>/:id/move { to, note }: one call for a reviewer's decision. It writes
 * through the same access rules and workflow hooks as any other update.
 */
export function moveEndpoint(collection: WorkflowCollection): Endpoint {
  return {
    path: '/:id/move',
    method: 'post',
    handler: async (req: PayloadRequest) => {
      const language = languageOf(req)
      if (!req.user) throw new AppError('auth.required', 401, language)
      const body = MoveBody.safeParse(await req.json?.().catch(() => null))
      if (!body.success) {
        throw new AppError('request.invalid', 422, language, {
          details: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        })
      }
      const id = String(req.routeParams?.id ?? '')
      const doc = await req.payload.update({
        collection,
        id,
        data: { workflowStatus: body.data.to, ...(body.data.note ? { reviewNote: body.data.note } : {}) },
        req,
        user: req.user,
        overrideAccess: false,
        depth: 0,
      })
      return Response.json({ doc })
    },
  }
}
