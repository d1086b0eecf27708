import type { Field } from 'payload'

import { LENGTH_PRESETS } from '../../ai/lengths'
import { systemOwned } from '../../fields/systemOwned'

export { LENGTH_PRESETS }

export const GENERATION_STATES = ['idle', 'outline', 'sections', 'finishing', 'done', 'failed'] as const

/**
 * What the AI pipeline keeps on an article: the brief, the sections written so far (a retried job
 * skips them, so a crash loses at most the section being written), quality signals and FAQ
 * structured data. Written by the worker as the system; staff read them in the admin. Nobody writes
 * them through the API (systemOwned): a customer who could set `generation.state` to done would
 * release a half-written article to review.
 */
export const articleGenerationFields: Field[] = ([
  {
    name: 'faqJsonLd',
    type: 'json',
    admin: { readOnly: true, description: 'FAQPage structured data (schema.org), built from the FAQ.' },
  },
  {
    name: 'internalLinks',
    type: 'array',
    maxRows: 10,
    admin: { readOnly: true, description: "Links to the project's own published articles, added to the body." },
    fields: [
      { name: 'title', type: 'text', required: true, maxLength: 200 },
      { name: 'url', type: 'text', required: true, maxLength: 500 },
    ],
  },
  {
    name: 'quality',
    type: 'group',
    admin: { description: 'Computed after generation: readability, keyword use, similarity to the project’s other articles.' },
    fields: [
      { name: 'readability', type: 'number', admin: { readOnly: true, description: 'Flesch-like reading ease, 0 (hard) – 100 (easy).' } },
      { name: 'keywordOccurrences', type: 'number', admin: { readOnly: true } },
      { name: 'keywordDensity', type: 'number', admin: { readOnly: true, description: 'Per cent of words that belong to the main keyword.' } },
      { name: 'keywordInTitle', type: 'checkbox', admin: { readOnly: true } },
      { name: 'keywordInH2', type: 'checkbox', admin: { readOnly: true } },
      { name: 'keywordInFirstParagraph', type: 'checkbox', admin: { readOnly: true } },
      { name: 'maxSimilarity', type: 'number', admin: { readOnly: true, description: 'Highest shingle overlap (Jaccard, 0–1) with another article of the project.' } },
      { name: 'similarTo', type: 'relationship', relationTo: 'articles', admin: { readOnly: true } },
    ],
  },
  {
    name: 'generation',
    type: 'group',
    admin: { description: 'AI pipeline progress (written by the worker).' },
    fields: [
      {
        name: 'state',
        type: 'select',
        defaultValue: 'idle',
        enumName: 'enum_articles_generation_state',
        options: GENERATION_STATES.map((value) => ({ label: value, value })),
        admin: { readOnly: true },
      },
      { name: 'brief', type: 'textarea', maxLength: 8000, admin: { readOnly: true } },
      { name: 'revisionNote', type: 'textarea', maxLength: 2000, admin: { readOnly: true, description: 'The reviewer note this version answers.' } },
      {
        name: 'sections',
        type: 'array',
        maxRows: 60,
        admin: { readOnly: true },
        fields: [
          { name: 'index', type: 'number', required: true },
          { name: 'heading', type: 'text', required: true, maxLength: 200 },
          { name: 'markdown', type: 'textarea', required: true },
        ],
      },
      {
        // ai sections (OF2): how many sections, from the first in outline order, the chat has had;
        // a resumed job posts the saved ones after them before writing the missing ones.
        name: 'postedUpTo',
        type: 'number',
        min: 0,
        admin: { readOnly: true, description: 'Sections (from the first, in outline order) already posted to the customer’s chat.' },
      },
      { name: 'error', type: 'textarea', maxLength: 2000, admin: { readOnly: true } },
    ],
  },
] as Field[]).map(systemOwned)
