import type { PaginatedDocs, Payload } from 'payload'

import { isUniqueViolation } from '../lib/dbErrors'
import { normalizePhrase } from '../lib/text'
import type { Account, Keyword } from '../payload-types'
import { actingAs } from '../projects/actingAs'
import { getProject } from '../projects/service'
import { addJob } from '../jobs/addJob'
import type { Enqueued } from '../jobs/contracts'
import { MAX_IMPORT_PHRASES } from './parse'

export type KeywordStatus = Keyword['status']
export type ImportResult = { created: number; duplicates: string[]; tooMany: number }

export async function listKeywords(
  payload: Payload,
  account: Account,
  projectId: number,
  { page = 1, limit = 8, cluster }: { page?: number; limit?: number; cluster?: string } = {},
): Promise<PaginatedDocs<Keyword>> {
  await getProject(payload, account, projectId)
  return payload.find({
    collection: 'keywords',
    where: { project: { equals: projectId }, ...(cluster ? { cluster: { equals: cluster } } : {}) },
    sort: ['status', 'phrase'],
    page,
    limit,
    depth: 0,
    ...actingAs(account),
  })
}

export type ClusterSummary = { name: string; total: number; kept: number }

/** Clusters of a project with their sizes (keywords not yet clustered are left out). */
export async function listClusters(
  payload: Payload,
  account: Account,
  projectId: number,
): Promise<ClusterSummary[]> {
  await getProject(payload, account, projectId)
  const { docs } = await payload.find({
    collection: 'keywords',
    where: { project: { equals: projectId }, cluster: { exists: true } },
    pagination: false,
    limit: 5000,
    depth: 0,
    select: { cluster: true, status: true },
    ...actingAs(account),
  })
  const byName = new Map<string, ClusterSummary>()
  for (const keyword of docs) {
    if (!keyword.cluster) continue
    const summary = byName.get(keyword.cluster) ?? { name: keyword.cluster, total: 0, kept: 0 }
    summary.total += 1
    if (keyword.status === 'planned' || keyword.status === 'used') summary.kept += 1
    byName.set(keyword.cluster, summary)
  }
  return [...byName.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
}

/**
 * What an article for a cluster is about: its main keyword (kept ones first, then new, by
 * priority) and up to ten of the cluster's other live keywords as secondary ones. Null when
 * every keyword of the cluster is discarded or already used.
 */
export async function clusterArticlePlan(
  payload: Payload,
  account: Account,
  projectId: number,
  cluster: string,
): Promise<{ main: Keyword; secondary: Keyword[] } | null> {
  const { docs } = await payload.find({
    collection: 'keywords',
    where: { project: { equals: projectId }, cluster: { equals: cluster }, status: { in: ['planned', 'new'] } },
    pagination: false,
    limit: 500,
    depth: 0,
    ...actingAs(account),
  })
  const ranked = [...docs].sort(
    (a, b) =>
      Number(b.status === 'planned') - Number(a.status === 'planned') ||
      (b.priority ?? 0) - (a.priority ?? 0) ||
      a.id - b.id,
  )
  if (ranked.length === 0) return null
  return { main: ranked[0], secondary: ranked.slice(1, 11) }
}

export async function getKeyword(payload: Payload, account: Account, id: number): Promise<Keyword> {
  return payload.findByID({ collection: 'keywords', id, depth: 0, ...actingAs(account) })
}

/** Keep ('planned'), discard, or bring back ('new') a keyword. */
export async function setKeywordStatus(
  payload: Payload,
  account: Account,
  id: number,
  status: Extract<KeywordStatus, 'new' | 'planned' | 'discarded'>,
): Promise<Keyword> {
  await getKeyword(payload, account, id)
  return payload.update({
    collection: 'keywords',
    id,
    data: { status },
    depth: 0,
    ...actingAs(account),
  })
}

/**
 * Adds phrases to a project. A phrase the project already has is reported as a duplicate, not
 * an error; the unique index on (project, normalized phrase) settles a race the same way.
 */
export async function addKeywords(
  payload: Payload,
  account: Account,
  projectId: number,
  phrases: string[],
  source: 'survey' | 'import',
): Promise<ImportResult> {
  await getProject(payload, account, projectId)
  const accepted = phrases.slice(0, MAX_IMPORT_PHRASES)
  const existing = await payload.find({
    collection: 'keywords',
    where: {
      project: { equals: projectId },
      normalizedPhrase: { in: accepted.map(normalizePhrase) },
    },
    pagination: false,
    limit: MAX_IMPORT_PHRASES,
    depth: 0,
    select: { normalizedPhrase: true },
    ...actingAs(account),
  })
  const known = new Set(existing.docs.map((k) => k.normalizedPhrase))
  const duplicates: string[] = []
  let created = 0
  for (const phrase of accepted) {
    if (known.has(normalizePhrase(phrase))) {
      duplicates.push(phrase)
      continue
    }
    try {
      await payload.create({
        collection: 'keywords',
        data: { phrase, project: projectId, source, status: 'new' } as never,
        depth: 0,
        ...actingAs(account),
      })
      known.add(normalizePhrase(phrase))
      created += 1
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      duplicates.push(phrase)
    }
  }
  return { created, duplicates, tooMany: phrases.length - accepted.length }
}

export type SurveyAnswer = { question: string; answer: string }

/**
 * The keyword survey's outcome: answers kept on the project, seed phrases added as 'survey'
 * keywords, and clustering queued for the worker (one job per project at a time).
 */
export async function completeSurvey(
  payload: Payload,
  account: Account,
  projectId: number,
  answers: SurveyAnswer[],
  seeds: string[],
): Promise<{ keywords: ImportResult; job: Enqueued }> {
  await payload.update({
    collection: 'projects',
    id: projectId,
    data: { surveyAnswers: answers.slice(0, 30) },
    depth: 0,
    ...actingAs(account),
  })
  const keywords = await addKeywords(payload, account, projectId, seeds, 'survey')
  const job = await requestClustering(account, projectId)
  return { keywords, job }
}

export function requestClustering(account: Account, projectId: number): Promise<Enqueued> {
  // Asked for after the survey's writes committed: the job sees them.
  return addJob('keywords.cluster', { accountId: account.id, projectId })
}
