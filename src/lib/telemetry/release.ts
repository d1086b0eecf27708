import { readFileSync } from 'node:fs'
import path from 'node:path'

let cached: string | undefined

/**
 * What this build is, for error reports and traces: GIT_SHA when the deployment sets it (the
 * Docker image's build argument), otherwise `postforge@<package version>`.
 */
export function releaseName(): string {
  if (cached) return cached
  const sha = process.env.GIT_SHA?.trim()
  if (sha) return (cached = sha)
  let version = process.env.npm_package_version
  if (!version) {
    try {
      version = (JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { version?: string }).version
    } catch {
      version = undefined
    }
  }
  return (cached = `postforge@${version ?? '0.0.0'}`)
}

/** The deployment's environment name (SENTRY_ENVIRONMENT, else NODE_ENV). */
export function environmentName(): string {
  return process.env.SENTRY_ENVIRONMENT?.trim() || process.env.NODE_ENV || 'development'
}
