import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'

import config from '@payload-config'
import { getPayload } from 'payload'

import { SYSTEM_CONTEXT } from '../../src/workflow/hooks'

/** Data for the browser tests: an editor, two customers with API keys, articles waiting for review. */
const payload = await getPayload({ config })
const editor = { email: `editor-${Date.now()}@staff.test`, password: 'e2e editor password' }
await payload.create({ collection: 'users', data: { ...editor, name: 'Eva Editor', roles: ['editor'] } })
const admin = { email: `admin-${Date.now()}@staff.test`, password: 'e2e admin password' }
await payload.create({ collection: 'users', data: { ...admin, name: 'Ada Admin', roles: ['admin'] } })

async function tenant(name: string, telegramId: number) {
  const apiKey = randomBytes(24).toString('hex')
  const account = await payload.create({
    collection: 'accounts',
    data: { telegramId, displayName: name, language: 'en', timezone: 'Europe/Moscow', plan: 'free', status: 'active', enableAPIKey: true, apiKey },
  })
  const project = await payload.create({ collection: 'projects', data: { name: `${name} site`, account: account.id, timezone: 'Europe/Moscow', language: 'en', reviewPolicy: 'staff' } })
  return { apiKey, accountId: account.id, projectId: project.id }
}

const a = await tenant('Alpha Coffee', 900000001 + Math.floor(Math.random() * 1e6))
const b = await tenant('Beta Tea', 910000001 + Math.floor(Math.random() * 1e6))
const article = (title: string, projectId: number) =>
  payload.create({ collection: 'articles', context: SYSTEM_CONTEXT, data: { title, project: projectId, workflowStatus: 'in_review' } as never })
const toApprove = await article('How to choose coffee beans', a.projectId)
const toChange = await article('Grind size for a cezve', a.projectId)
const other = await article('Oolong brewing guide', b.projectId)

const editorUser = (await payload.find({ collection: 'users', where: { email: { equals: editor.email } } })).docs[0]
const published = await article('Espresso at home', a.projectId)
await payload.update({ collection: 'articles', id: published.id, data: { workflowStatus: 'approved' }, user: editorUser, overrideAccess: false })
const blog = await payload.create({
  collection: 'connections',
  data: {
    displayName: 'Alpha blog',
    platform: 'wordpress',
    project: a.projectId,
    credentials: { siteUrl: 'https://alpha.example', username: 'alpha', applicationPassword: 'abcd efgh ijkl mnop' },
  } as never,
})
const failed = await payload.create({
  collection: 'publications',
  data: { project: a.projectId, connection: blog.id, article: published.id, plannedAt: new Date().toISOString() } as never,
})
await payload.update({
  collection: 'publications',
  id: failed.id,
  context: SYSTEM_CONTEXT,
  data: { status: 'failed', lastError: 'WordPress refused the application password. Create a new one and reconnect.' },
})

writeFileSync(
  process.env.E2E_FIXTURES!,
  JSON.stringify({ editor, admin, a, b, articles: { toApprove: toApprove.id, toChange: toChange.id, other: other.id }, failedPublication: failed.id }, null, 2),
)
await payload.destroy()
process.exit(0)
