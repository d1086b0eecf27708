import type { CollectionBeforeValidateHook } from 'payload'

import { accountIdOf } from '../../access/actors'
import { languageOf } from '../../i18n/request'
import { AppError } from '../../http/errors'
import { idOf, sameId } from '../../lib/ids'
import type { Account, Project } from '../../payload-types'

/** What every tenant document holds: its project, and the account that project belongs to. */
type TenantDoc = { id: number; project: number | Project; account: number | Account }

/**
 * Content lives inside a project; the project decides the owning account. An account may only
 * put things into its own projects, and can never re-home them into somebody else's.
 */
export const scopeToProject: CollectionBeforeValidateHook<TenantDoc> = async ({ data, originalDoc, req }) => {
  if (!data) return data
  const projectId = idOf(data.project ?? originalDoc?.project)
  const language = languageOf(req)
  if (projectId === null) throw new AppError('tenant.project_required', 422, language)
  if (originalDoc && sameId(originalDoc.project, projectId) && originalDoc.account) {
    data.account = Number(idOf(originalDoc.account))
    return data
  }
  const project = await req.payload.findByID({
    collection: 'projects',
    id: projectId,
    depth: 0,
    req,
    overrideAccess: true,
    disableErrors: true,
  })
  const actingAccount = accountIdOf(req)
  if (!project || (actingAccount !== null && !sameId(project.account, actingAccount))) {
    throw new AppError('tenant.foreign_project', 403, language)
  }
  data.account = Number(idOf(project.account))
  return data
}
