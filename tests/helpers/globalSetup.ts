import type { TestProject } from 'vitest/node'

import { Logger, makeWorkerUtils } from 'graphile-worker'

import { createMigratedDatabase } from './database'
import { WORKER_SCHEMAS } from './workerSchemas'

export default async function setup(project: TestProject) {
  Object.assign(process.env, project.config.env)
  const db = await createMigratedDatabase('postforge_test')
  for (const schema of WORKER_SCHEMAS) {
    const utils = await makeWorkerUtils({ connectionString: db.url, schema, logger: new Logger(() => () => {}) })
    await utils.migrate()
    await utils.release()
  }
  project.provide('databaseUrl', db.url)
  return async () => {
    if (!process.env.KEEP_TEST_DB) await db.drop()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}
