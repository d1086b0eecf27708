import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { workerUtils } from '../../src/jobs/inspect'
import type { Project } from '../../src/payload-types'
import { startHarness, verifiedUser, type Harness, type TestUser } from './bot-harness'

let h: Harness
let user: TestUser
let project: Project

beforeAll(async () => {
  h = await startHarness('keywords')
  const verified = await verifiedUser(h)
  user = verified.user
  project = await h.payload.create({
    collection: 'projects',
    data: { name: 'Kw project', account: verified.account.id } as never,
    overrideAccess: true,
  })
})
afterAll(async () => {
  await h?.close()
})

async function keywordsOf(projectId: number) {
  const { docs } = await h.payload.find({
    collection: 'keywords',
    where: { project: { equals: projectId } },
    overrideAccess: true,
    limit: 1000,
    sort: 'phrase',
  })
  return docs
}

async function jobsWithKey(key: string) {
  const utils = await workerUtils()
  const { rows } = await utils.withPgClient((client) =>
    client.query<{ task_identifier: string; payload: unknown }>(
      'select t.identifier as task_identifier, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.key = $1',
      [key],
    ),
  )
  return rows
}

describe('the keyword survey', () => {
  it('saves the answers and seed keywords, queues clustering once, and says it is working', async () => {
    await user.press(`k:sv:${project.id}`)
    expect(user.texts().some((t) => t.includes('A few questions about your business'))).toBe(true)
    await user.send('Turnkey flat renovation')
    await user.send('Families who bought a new flat')
    await user.press('f:s:2')
    await user.send('Fixed price in the contract')
    await user.send('ремонт квартир казань\nремонт под ключ\nРемонт квартир  Казань\nx')

    const stored = await h.payload.findByID({
      collection: 'projects',
      id: project.id,
      overrideAccess: true,
    })
    expect(stored.surveyAnswers?.map((a) => a.answer)).toEqual([
      'Turnkey flat renovation',
      'Families who bought a new flat',
      'Fixed price in the contract',
      'ремонт квартир казань\nремонт под ключ\nРемонт квартир  Казань\nx',
    ])
    const keywords = await keywordsOf(project.id)
    expect(keywords.map((k) => [k.phrase, k.source])).toEqual([
      ['ремонт квартир казань', 'survey'],
      ['ремонт под ключ', 'survey'],
    ])
    expect(user.lastText()).toContain('Grouping keywords into clusters')
    const jobs = await jobsWithKey(`keywords.cluster:${project.id}`)
    expect(jobs).toHaveLength(1)
    expect(jobs[0].task_identifier).toBe('keywords.cluster')
    expect(jobs[0].payload).toEqual({ accountId: expect.any(Number), projectId: project.id })

    // Again while the first job still waits: reported, not queued twice; known seeds are duplicates.
    await user.press(`k:sv:${project.id}`)
    for (const answer of ['a1', 'a2']) await user.send(answer)
    await user.press('f:s:2')
    await user.press('f:s:3')
    await user.send('ремонт под ключ')
    expect(user.lastText()).toContain('Already in the project (1)')
    expect(user.lastText()).toContain('already being clustered')
    expect(await jobsWithKey(`keywords.cluster:${project.id}`)).toHaveLength(1)
  })
})

describe('importing a keyword list', () => {
  it('imports text, reporting duplicates and invalid lines instead of failing', async () => {
    await user.press(`k:im:${project.id}`)
    await user.send('дизайн интерьера\nремонт под ключ\nдизайн интерьера\n' + 'y'.repeat(201))
    const text = user.lastText()
    expect(text).toContain('New phrases added: 1')
    expect(text).toContain('Already in the project (1)')
    expect(text).toContain('Repeated inside the list: 1')
    expect(text).toContain('Not accepted (1')
    expect(
      (await keywordsOf(project.id)).find((k) => k.phrase === 'дизайн интерьера')?.source,
    ).toBe('import')
    expect((await h.session(user.id)).flow).toBeUndefined()
  })

  it('imports a .csv document, and refuses a wrong type or an oversized file while keeping the import open', async () => {
    await user.press(`k:im:${project.id}`)
    await user.sendDocument({ file_id: 'pdf1', file_name: 'list.pdf', file_size: 100 })
    expect(user.lastText()).toContain('Only .txt, .csv files are supported')
    await user.sendDocument({ file_id: 'big1', file_name: 'list.txt', file_size: 300 * 1024 })
    expect(user.lastText()).toContain('The file is too big')
    expect((await h.session(user.id)).flow?.name).toBe('keywords.import')

    h.fake.addFile(
      'csv1',
      'keyword,volume\n"натяжные потолки, цена",1200\nремонт ванной,900\nремонт под ключ,10\n',
    )
    await user.sendDocument({ file_id: 'csv1', file_name: 'Keywords.CSV', file_size: 80 })
    expect(user.lastText()).toContain('New phrases added: 2')
    expect(user.lastText()).toContain('Already in the project (1)')
    const phrases = (await keywordsOf(project.id)).map((k) => k.phrase)
    expect(phrases).toEqual(expect.arrayContaining(['натяжные потолки, цена', 'ремонт ванной']))
    expect(phrases).not.toContain('keyword')
    expect(h.fake.callsTo('getFile').map((c) => c.params.file_id)).toEqual(['csv1'])
  })
})

describe('browsing keywords and clusters', () => {
  it('pages keywords, keeps and discards them, and shows clusters', async () => {
    for (let i = 1; i <= 10; i++) {
      await h.payload.create({
        collection: 'keywords',
        data: {
          phrase: `кластер фраза ${i}`,
          project: project.id,
          cluster: i <= 3 ? 'Потолки' : 'Ванные',
          source: 'ai',
        } as never,
        overrideAccess: true,
      })
    }
    const total = (await keywordsOf(project.id)).length
    await user.press(`k:l:${project.id}:1`, 900)
    expect(user.lastText()).toContain(`Keywords</b> (${total})`)
    const open = user.lastButtons().filter((b) => b.callback_data.startsWith('k:o:'))
    expect(open).toHaveLength(8)
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`k:l:${project.id}:2`)

    const id = Number(open[0].callback_data.split(':')[2])
    await user.press(open[0].callback_data)
    await user.press(`k:st:${id}:k`)
    expect(
      (await h.payload.findByID({ collection: 'keywords', id, overrideAccess: true })).status,
    ).toBe('planned')
    expect(user.lastText()).toContain('kept')
    await user.press(`k:st:${id}:d`)
    expect(
      (await h.payload.findByID({ collection: 'keywords', id, overrideAccess: true })).status,
    ).toBe('discarded')
    expect(user.lastButtons().map((b) => b.callback_data)).toContain(`k:st:${id}:n`)
    expect(user.lastButtons().map((b) => b.callback_data)).not.toContain(`c:ga:${id}`)

    await user.press(`k:cl:${project.id}:1`)
    const clusters = user.lastButtons().filter((b) => b.callback_data.startsWith('k:cv:'))
    expect(clusters.map((b) => b.text)).toEqual(['🧭 Ванные · 0/7', '🧭 Потолки · 0/3'])
    await user.press(clusters[1].callback_data)
    expect(user.lastText()).toContain('Cluster "Потолки"</b> (3)')
    expect(user.lastButtons().filter((b) => b.callback_data.startsWith('k:o:'))).toHaveLength(3)
  })
})
