import type { Endpoint } from 'payload'
import { z } from 'zod'

import { isStaff } from '../access/actors'
import { balanceOf } from '../billing/ledger'
import { languageOf } from '../i18n/request'
import { AppError } from '../http/errors'

/**
 * `GET /api/ops/accounts/:id/credits` (staff): the account's balance as the ledger derives it and
 * its latest ledger rows (newest first), for the account's edit view in the admin. Grants are
 * written through the ledger collection itself (`POST /api/credit-ledger`, admins).
 */
export const accountCreditsEndpoints: Endpoint[] = [
  {
    path: '/ops/accounts/:id/credits',
    method: 'get',
    handler: async (req) => {
      const language = languageOf(req)
      if (!isStaff(req)) throw new AppError('auth.staff_only', 403, language)
      const id = z.coerce.number().int().positive().max(2 ** 31 - 1).safeParse(req.routeParams?.id)
      if (!id.success) throw new AppError('request.invalid', 422, language, { details: 'id' })
      const exists = await req.payload.count({ collection: 'accounts', where: { id: { equals: id.data } }, overrideAccess: true })
      if (exists.totalDocs === 0) throw new AppError('ops.account_not_found', 404, language, { id: id.data })
      const limit = z.coerce.number().int().min(1).max(100).catch(20).parse(req.searchParams.get('limit') ?? 20)
      const [balance, entries] = await Promise.all([
        balanceOf(req.payload, id.data),
        req.payload.find({
          collection: 'credit-ledger',
          where: { account: { equals: id.data } },
          sort: '-createdAt',
          limit,
          depth: 1,
          overrideAccess: false,
          user: req.user,
        }),
      ])
      return Response.json({
        accountId: id.data,
        balance,
        totalEntries: entries.totalDocs,
        entries: entries.docs.map((row) => ({
          id: row.id,
          createdAt: row.createdAt,
          kind: row.kind,
          credits: row.credits,
          balanceAfter: row.balanceAfter ?? null,
          reason: row.reason ?? null,
          staff: row.staffUser && typeof row.staffUser === 'object' ? (row.staffUser.name ?? row.staffUser.email) : null,
          payment: row.payment && typeof row.payment === 'object' ? row.payment.id : (row.payment ?? null),
        })),
      })
    },
  },
]
