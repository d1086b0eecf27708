import type { Logger } from 'pino'
import type { Payload } from 'payload'

import { idOf, sameId } from '../lib/ids'
import type { Keyword, Project } from '../payload-types'

/** How a generation use case is run: by a job, with its key, logger and shutdown signal. */
export type JobRun = { log: Logger; jobKey: string; signal?: AbortSignal }

/** The job points at something that is gone or belongs to another account: retrying cannot help. */
export class MissingInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MissingInputError'
  }
}

/** The project, checked to belong to the account the job was queued for (system read). */
export async function loadProject(payload: Payload, accountId: number, projectId: number): Promise<Project> {
  const project = await payload.findByID({ collection: 'projects', id: projectId, depth: 0, disableErrors: true })
  if (!project || !sameId(project.account, accountId)) throw new MissingInputError(`project ${projectId} not found for account ${accountId}`)
  return project
}

export async function loadKeyword(payload: Payload, project: Project, keywordId: number): Promise<Keyword> {
  const keyword = await payload.findByID({ collection: 'keywords', id: keywordId, depth: 0, disableErrors: true })
  if (!keyword || !sameId(keyword.project, project.id)) throw new MissingInputError(`keyword ${keywordId} not found in project ${project.id}`)
  return keyword
}

/** The project as prompt variables. */
export function projectVars(project: Project) {
  return {
    name: project.name,
    niche: project.niche ?? '',
    description: project.description ?? '',
    audience: project.audience ?? '',
    tone: project.toneOfVoice ?? '',
    language: project.language,
    siteUrl: project.siteUrl ?? '',
  }
}

export function surveyText(project: Project): string {
  return (project.surveyAnswers ?? []).map((a) => `- ${a.question}: ${a.answer}`).join('\n')
}

export const projectIdOf = (doc: { project: unknown }) => Number(idOf(doc.project))
