import type { Endpoint } from 'payload'
import { z } from 'zod'

import { isStaff } from '../access/actors'
import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'
import { JOB_STATES, listJobs, retryJob } from './inspect'

/** GET /api/jobs?state=failed and POST /api/jobs/:id/retry, for staff. */
export const jobEndpoints: Endpoint[] = [
  {
    path: '/jobs',
    method: 'get',
    handler: async (req) => {
      if (!isStaff(req)) throw new AppError('auth.staff_only', 403, languageOf(req))
      const state = z.enum(JOB_STATES).catch('failed').parse(req.searchParams.get('state'))
      return Response.json({ state, docs: await listJobs(req.payload, state) })
    },
  },
  {
    path: '/jobs/:id/retry',
    method: 'post',
    handler: async (req) => {
      if (!isStaff(req, 'admin', 'editor')) throw new AppError('auth.staff_only', 403, languageOf(req))
      // graphile-worker ids are bigint: more digits than that can only be a mistake, never a job.
      const id = z.string().regex(/^\d{1,18}$/).safeParse(req.routeParams?.id)
      if (!id.success) throw new AppError('request.invalid', 422, languageOf(req), { details: 'id' })
      const ok = await retryJob(id.data)
      if (!ok) throw new AppError('jobs.not_found', 404, languageOf(req))
      return Response.json({ ok: true })
    },
  },
]
