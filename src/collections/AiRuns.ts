import type { CollectionConfig } from 'payload'

import { nobody, ownRowsOr } from '../access/tenant'

/**
 * One row per model call, failed attempts included: what it cost, how long it took and how it
 * ended. Written only by the worker; staff read all, an account reads its own.
 */
export const AiRuns: CollectionConfig = {
  slug: 'ai-runs',
  admin: {
    defaultColumns: ['createdAt', 'task', 'model', 'outcome', 'inputTokens', 'outputTokens', 'costUsd', 'latencyMs'],
    group: 'AI',
  },
  access: { read: ownRowsOr('admin', 'editor', 'support'), create: nobody, update: nobody, delete: nobody },
  fields: [
    { name: 'task', type: 'text', required: true, index: true },
    { name: 'model', type: 'text', required: true, index: true },
    { name: 'promptVariant', type: 'text', index: true },
    {
      name: 'outcome',
      type: 'select',
      required: true,
      index: true,
      enumName: 'enum_ai_runs_outcome',
      // `running` is written before the call with the prompt's estimated tokens and cost, updated
      // while the answer streams and settled after: a call cut short by a crash is still charged.
      options: ['running', 'ok', 'error', 'timeout', 'invalid_output'].map((value) => ({ label: value, value })),
    },
    { name: 'inputTokens', type: 'number', defaultValue: 0 },
    { name: 'outputTokens', type: 'number', defaultValue: 0 },
    { name: 'costUsd', type: 'number' },
    { name: 'latencyMs', type: 'number' },
    { name: 'error', type: 'textarea' },
    { name: 'account', type: 'relationship', relationTo: 'accounts', index: true },
    { name: 'project', type: 'relationship', relationTo: 'projects', index: true },
    { name: 'article', type: 'relationship', relationTo: 'articles' },
    { name: 'post', type: 'relationship', relationTo: 'posts' },
    { name: 'prompt', type: 'relationship', relationTo: 'prompts', admin: { description: 'The prompt template (and variant) used.' } },
    { name: 'jobKey', type: 'text', index: true, admin: { description: 'The worker job (and step) that made the call.' } },
  ],
}
