import type { TestProject } from 'vitest/node'

import { createMigratedDatabase } from './database'

export default async function setup(project: TestProject) {
  Object.assign(process.env, project.config.env)
  const db = await createMigratedDatabase('postforge_test')
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
