import type { Payload } from 'payload'
import { z } from 'zod'

import { isUniqueViolation } from '../lib/dbErrors'
import { normalizePhrase } from '../lib/text'
import type { Keyword } from '../payload-types'
import { assertWithinDailySpend } from '../usage/spend'
import { generateJson } from './call'
import { ChatProgress } from './chat'
import { loadProject, projectVars, surveyText, type JobRun } from './jobContext'
import { preparePrompt } from './prompts'
import { opens } from '../notify/targets'

const MAX_NEW_KEYWORDS = 100
const INTENTS = ['informational', 'commercial', 'transactional', 'navigational'] as const

export const ClusterAnswer = z.object({
  clusters: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(200),
        keywords: z
          .array(
            z.object({
              phrase: z.string().trim().min(2).max(200),
              intent: z.enum(INTENTS).catch('informational'),
              priority: z.coerce.number().int().min(1).max(5).catch(3),
            }),
          )
          .max(300),
      }),
    )
    .min(1)
    .max(60),
})

export type ClusterOutcome = { added: number; duplicates: number; clusters: number }

/**
 * Survey answers and the project's profile become clusters of keywords with intent and priority.
 * Phrases the project already has (same normalised phrase) are not added again; ones without a
 * cluster are placed in one. New phrases are stored as source `ai` (system writes: the worker
 * acts for the account that owns the project).
 */
export async function clusterKeywords(
  payload: Payload,
  input: { accountId: number; projectId: number },
  run: JobRun,
): Promise<ClusterOutcome> {
  const project = await loadProject(payload, input.accountId, input.projectId)
  await assertWithinDailySpend(payload, input.accountId)
  const chat = await ChatProgress.open(payload, input.accountId, run.log, run.jobKey)
  await chat.status('ai.cluster.started', { project: project.name })

  const { docs: existing } = await payload.find({
    collection: 'keywords',
    where: { project: { equals: project.id } },
    pagination: false,
    limit: 5000,
    depth: 0,
    select: { phrase: true, normalizedPhrase: true, cluster: true, source: true },
  })
  const known = new Map<string, Pick<Keyword, 'id' | 'cluster'>>(existing.map((k) => [k.normalizedPhrase, k]))
  const seeds = existing.filter((k) => k.source !== 'ai').map((k) => k.phrase)
  const messages = await preparePrompt(payload, 'keywords.cluster', project.language, {
    project: projectVars(project),
    survey: surveyText(project),
    seeds: seeds.slice(0, 200).map((s) => `- ${s}`),
    existing: existing.slice(0, 300).map((k) => `- ${k.phrase}`),
    maxKeywords: MAX_NEW_KEYWORDS,
  })
  const answer = await generateJson(
    'keywords.cluster',
    { payload, scope: { accountId: input.accountId, projectId: project.id, jobKey: run.jobKey }, log: run.log, signal: run.signal },
    messages,
    ClusterAnswer,
  )

  let added = 0
  let duplicates = 0
  const touched = new Set<string>()
  const seenInAnswer = new Set<string>()
  for (const cluster of answer.clusters) {
    for (const keyword of cluster.keywords) {
      const normalized = normalizePhrase(keyword.phrase)
      if (normalized.length < 2 || seenInAnswer.has(normalized)) continue
      seenInAnswer.add(normalized)
      const already = known.get(normalized)
      if (already) {
        duplicates += 1
        if (!already.cluster) {
          await payload.update({ collection: 'keywords', id: already.id, depth: 0, data: { cluster: cluster.name, intent: keyword.intent, priority: keyword.priority } })
          already.cluster = cluster.name
          touched.add(cluster.name)
        }
        continue
      }
      if (added >= MAX_NEW_KEYWORDS) continue
      try {
        const created = await payload.create({
          collection: 'keywords',
          depth: 0,
          data: { phrase: keyword.phrase, project: project.id, cluster: cluster.name, intent: keyword.intent, priority: keyword.priority, source: 'ai', status: 'new' } as never,
        })
        known.set(normalized, created)
        added += 1
        touched.add(cluster.name)
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
        duplicates += 1
      }
    }
  }
  const outcome = { added, duplicates, clusters: touched.size }
  run.log.info({ projectId: project.id, ...outcome }, 'keywords clustered')
  await chat.say('ai.cluster.done', outcome, [{ key: 'ai.open_clusters', data: opens.clusters(project.id) }])
  return outcome
}
