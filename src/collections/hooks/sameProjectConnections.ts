import type { CollectionBeforeChangeHook } from 'payload'

import { languageOf } from '../../i18n/request'
import { AppError } from '../../lib/errors'
import { idOf, sameId } from '../../lib/ids'

/** Connections referenced by a schedule or publication must belong to the same project. */
export function sameProjectConnections(field: 'connection' | 'connections'): CollectionBeforeChangeHook {
  return async ({ data, originalDoc, req }) => {
    const raw = data[field] ?? originalDoc?.[field]
    const ids = (Array.isArray(raw) ? raw : [raw]).map(idOf).filter((id) => id !== null)
    if (ids.length === 0) return data
    const { docs } = await req.payload.find({
      collection: 'connections',
      where: { id: { in: ids } },
      depth: 0,
      limit: ids.length,
      req,
      overrideAccess: true,
    })
    const projectId = data.project ?? originalDoc?.project
    if (docs.length !== new Set(ids.map(String)).size || docs.some((c) => !sameId(c.project, projectId))) {
      throw new AppError('tenant.foreign_connection', 403, languageOf(req))
    }
    return data
  }
}
