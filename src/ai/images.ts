import { randomBytes } from 'node:crypto'

import type { Payload } from 'payload'

import type { Project } from '../payload-types'
import { AiOutputError, AiUnavailableError, generateImageFile, generatePlainText, type CallContext } from './call'
import { projectVars } from './jobContext'
import { preparePrompt } from './prompts'

export type ImageOutcome = { mediaId: number } | { skipped: string }

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/gif': 'gif' }

/**
 * An illustration: a model writes the image prompt, the configured image model draws it, and it
 * is saved into media with its alt text (system write). When the provider cannot draw, the
 * content goes on without an image and the reason is returned to be recorded.
 */
export async function generateIllustration(
  payload: Payload,
  ctx: CallContext,
  project: Project,
  { subject, alt }: { subject: string; alt: string },
): Promise<ImageOutcome> {
  try {
    const messages = await preparePrompt(payload, 'image.prompt', project.language, { project: projectVars(project), subject, alt })
    const prompt = await generatePlainText('image.prompt', ctx, messages)
    const image = await generateImageFile(ctx, prompt)
    const extension = EXTENSIONS[image.mediaType] ?? 'png'
    const media = await payload.create({
      collection: 'media',
      depth: 0,
      data: { alt: alt.slice(0, 300), project: project.id, generatedFrom: prompt.slice(0, 2000) } as never,
      file: {
        data: image.data,
        mimetype: image.mediaType in EXTENSIONS ? image.mediaType : 'image/png',
        name: `ai-${project.id}-${Date.now()}-${randomBytes(3).toString('hex')}.${extension}`,
        size: image.data.length,
      },
    })
    return { mediaId: media.id }
  } catch (error) {
    if (error instanceof AiUnavailableError || error instanceof AiOutputError) {
      ctx.log.warn({ err: error.message }, 'content goes on without an image')
      return { skipped: error.failures.at(-1) ?? error.message }
    }
    throw error
  }
}
