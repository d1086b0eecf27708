/**
 * `npm test` runs this: are src/payload-types.ts and the admin import map what the Payload config
 * generates today? Both are generated into a temporary directory and compared with the committed
 * files; nothing in the working tree is written. On a difference it names the command to run.
 *
 * Run: tsx scripts/check-generated.ts (needs no database; missing secrets get throwaway values).
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const typesFile = path.join(root, 'src', 'payload-types.ts')
const importMapFile = path.join(root, 'src', 'app', '(payload)', 'admin', 'importMap.js')

// The config validates the environment when loaded; generation itself never connects anywhere.
process.env.DATABASE_URL ||= 'postgres://generated-files-check@127.0.0.1:1/none'
process.env.PAYLOAD_SECRET ||= randomBytes(32).toString('hex')
process.env.CREDENTIALS_ENCRYPTION_KEY ||= randomBytes(32).toString('base64')
process.env.LOG_LEVEL ||= 'warn'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'postforge-generated-'))
try {
  const { generateImportMap } = await import('payload')
  const { generateTypes } = await import('payload/node')
  const config = await (await import('../src/payload.config')).default

  const freshTypes = path.join(tmp, 'payload-types.ts')
  process.env.PAYLOAD_TS_OUTPUT_PATH = freshTypes
  await generateTypes(config, { log: false })

  // The import map's paths are relative from its folder to the config's folder: mirror both
  // under the temporary directory so the generated text is the one the real file should hold.
  const freshImportMap = path.join(tmp, path.relative(root, importMapFile))
  mkdirSync(path.dirname(freshImportMap), { recursive: true })
  const baseDir = config.admin.importMap.baseDir ?? root
  const mirrored = {
    ...config,
    admin: {
      ...config.admin,
      importMap: { ...config.admin.importMap, baseDir: path.join(tmp, path.relative(root, baseDir)), importMapFile: freshImportMap },
    },
  }
  await generateImportMap(mirrored, { force: true, log: false })

  const stale: string[] = []
  if (readFileSync(freshTypes, 'utf8') !== readFileSync(typesFile, 'utf8')) {
    stale.push(`src/payload-types.ts is not what the Payload config generates: run \`npm run generate:types\` and commit the result`)
  }
  // Payload itself compares the import map without surrounding whitespace.
  if (readFileSync(freshImportMap, 'utf8').trim() !== readFileSync(importMapFile, 'utf8').trim()) {
    stale.push(`src/app/(payload)/admin/importMap.js is not what the Payload config generates: run \`npm run generate:importmap\` and commit the result`)
  }
  if (stale.length > 0) {
    process.stderr.write(`${stale.join('\n')}\n`)
    process.exitCode = 1
  } else {
    process.stdout.write('generated files: current (src/payload-types.ts, admin import map)\n')
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
// The config's imports may hold handles open (loggers, pools created lazily): do not wait for them.
process.exit(process.exitCode ?? 0)
