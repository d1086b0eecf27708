import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Payload } from 'payload'

import type { Prompt } from '../payload-types'
import { PROMPT_TASKS, type PromptTask } from './tasks'

const PROMPTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prompts')
/** Separates the system part of a template from the user part. */
const USER_MARKER = '<!-- user -->'
const FILE_NAME = /^([a-z]+\.[a-z]+)\.(ru|en)(?:\.([a-z0-9_-]{1,40}))?\.md$/

type Language = 'ru' | 'en'
export type PromptFile = { task: PromptTask; language: Language; variant: string; template: string }

/** The templates shipped in src/ai/prompts: `<task>.<lang>[.<variant>].md`. */
export async function promptFiles(): Promise<PromptFile[]> {
  const names = (await readdir(PROMPTS_DIR)).sort()
  const files: PromptFile[] = []
  for (const name of names) {
    const match = FILE_NAME.exec(name)
    if (!match || !(PROMPT_TASKS as string[]).includes(match[1])) continue
    files.push({
      task: match[1] as PromptTask,
      language: match[2] as Language,
      variant: match[3] ?? 'a',
      template: (await readFile(path.join(PROMPTS_DIR, name), 'utf8')).trim(),
    })
  }
  return files
}

/**
 * Creates the shipped templates that the prompts collection does not have yet. Idempotent, and
 * never overwrites a template staff have edited: the collection is the source of truth once
 * seeded. System write; the dev seed and the worker's start call it.
 */
export async function seedPrompts(payload: Payload): Promise<number> {
  const files = await promptFiles()
  const existing = await payload.find({ collection: 'prompts', pagination: false, limit: 1000, depth: 0, select: { task: true, language: true, variant: true } })
  const have = new Set(existing.docs.map((p) => `${p.task}|${p.language}|${p.variant}`))
  let created = 0
  for (const file of files) {
    if (have.has(`${file.task}|${file.language}|${file.variant}`)) continue
    try {
      await payload.create({
        collection: 'prompts',
        data: { name: `${file.task} (${file.language}, ${file.variant})`, ...file, weight: 1, active: true },
      })
      created += 1
    } catch (error) {
      // Another process seeded the same template at the same moment (unique index): fine.
      const now = await payload.count({
        collection: 'prompts',
        where: { task: { equals: file.task }, language: { equals: file.language }, variant: { equals: file.variant } },
      })
      if (now.totalDocs === 0) throw error
    }
  }
  return created
}

export type PickedPrompt = { id: number; variant: string; system: string; user: string }

/** Weighted random choice among the active variants; `random` is injectable for tests. */
export function pickWeighted<T extends { weight?: number | null }>(items: T[], random = Math.random): T | undefined {
  const total = items.reduce((sum, item) => sum + Math.max(0, item.weight ?? 1), 0)
  if (total <= 0) return items[0]
  let point = random() * total
  for (const item of items) {
    point -= Math.max(0, item.weight ?? 1)
    if (point < 0) return item
  }
  return items[items.length - 1]
}

let seeded: Promise<number> | undefined

/**
 * The template for a task in the language (English when a language has none), one of its active
 * A/B variants picked by weight. Seeds the collection on first use if it is empty for the task.
 */
export async function pickPrompt(
  payload: Payload,
  task: PromptTask,
  language: string,
  random = Math.random,
): Promise<PickedPrompt> {
  const find = (lang: string) =>
    payload.find({
      collection: 'prompts',
      where: { task: { equals: task }, language: { equals: lang }, active: { equals: true } },
      pagination: false,
      limit: 50,
      depth: 0,
      sort: 'variant',
    })
  let docs = (await find(language)).docs
  if (docs.length === 0) {
    seeded ??= seedPrompts(payload).finally(() => {
      seeded = undefined
    })
    await seeded
    docs = (await find(language)).docs
    if (docs.length === 0) docs = (await find('en')).docs
  }
  const chosen = pickWeighted<Prompt>(docs, random)
  if (!chosen) throw new Error(`No active prompt template for ${task} (${language})`)
  const [system, user] = splitTemplate(chosen.template)
  return { id: chosen.id, variant: chosen.variant, system, user }
}

export function splitTemplate(template: string): [string, string] {
  const at = template.indexOf(USER_MARKER)
  if (at < 0) return ['', template.trim()]
  return [template.slice(0, at).trim(), template.slice(at + USER_MARKER.length).trim()]
}

/** `{{a.b}}` placeholders filled from `vars`; a missing value becomes «—» so prompts stay readable. */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
    const value = key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), vars)
    if (value === undefined || value === null || value === '') return '—'
    return Array.isArray(value) ? value.join('\n') : String(value)
  })
}

/** A picked prompt filled in: what the model is sent, and which variant ran. */
export async function preparePrompt(
  payload: Payload,
  task: PromptTask,
  language: string,
  vars: Record<string, unknown>,
): Promise<{ system: string; prompt: string; promptRef: { id: number; variant: string } }> {
  const picked = await pickPrompt(payload, task, language)
  return {
    system: renderTemplate(picked.system, vars),
    prompt: renderTemplate(picked.user, vars),
    promptRef: { id: picked.id, variant: picked.variant },
  }
}
