import { createHash } from 'node:crypto'

import type { Payload } from 'payload'

import { AppError } from '../http/errors'
import { resolvesPrivately } from '../lib/safeNet'
import type { Account, Project } from '../payload-types'
import { actingAs } from './actingAs'
import { CompetitorUrl, MAX_COMPETITORS } from './schema'
import { getProject } from './service'

/**
 * A project's competitor pages, which the article brief reads (src/ai/competitors.ts). Every
 * write acts as the account, so its access rules apply whichever face asks.
 */
export function competitorUrls(project: Pick<Project, 'competitorUrls'>): string[] {
  return (project.competitorUrls ?? []).map((c) => c.url)
}

async function save(payload: Payload, account: Account, id: number, urls: string[]): Promise<Project> {
  return payload.update({
    collection: 'projects',
    id,
    data: { competitorUrls: urls.map((url) => ({ url })) },
    depth: 0,
    ...actingAs(account),
  })
}

/** Adds a page: validated and normalised (punycode), public only, no duplicates, at most MAX_COMPETITORS. */
export async function addCompetitor(payload: Payload, account: Account, projectId: number, input: string): Promise<Project> {
  const url = CompetitorUrl.parse(input)
  const project = await getProject(payload, account, projectId)
  const urls = competitorUrls(project)
  if (urls.includes(url)) throw new AppError('competitors.duplicate', 409, account.language, { url })
  if (urls.length >= MAX_COMPETITORS) throw new AppError('competitors.full', 409, account.language, { max: MAX_COMPETITORS })
  // A name that resolves inside a network is refused now, not only when the brief reads it.
  if (await resolvesPrivately(new URL(url).hostname)) throw new AppError('v.not_public', 422, account.language, { value: url })
  return save(payload, account, project.id, [...urls, url])
}

/** A short fingerprint of an address, for buttons (callback data is too short for the address). */
export function competitorRef(url: string): string {
  return createHash('sha256').update(url).digest('base64url').slice(0, 8)
}

/**
 * Removes the page with this fingerprint: by address, not position, so a second tap on a list
 * shown earlier removes nothing else. Unknown fingerprints change nothing.
 */
export async function removeCompetitor(payload: Payload, account: Account, projectId: number, ref: string): Promise<Project> {
  const project = await getProject(payload, account, projectId)
  const urls = competitorUrls(project)
  const kept = urls.filter((u) => competitorRef(u) !== ref)
  return kept.length === urls.length ? project : save(payload, account, project.id, kept)
}
