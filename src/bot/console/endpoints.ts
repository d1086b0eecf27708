import type { Endpoint, PayloadRequest } from 'payload'
import { z } from 'zod'

import { actorOf, isStaff } from '../../access/actors'
import { languageOf } from '../../i18n/request'
import { AppError } from '../../http/errors'
import { consoleChatId, consoleStore } from '../../telegram/console/store'

/**
 * The console bot (createBot with every feature) is loaded on the first POST, not with these
 * endpoints: the Payload config imports this file, and loading the config must not load the bot.
 */
const session = () => import('./session')

const Language = z.enum(['ru', 'en'])
const Reset = z.object({ kind: z.literal('reset'), account: z.boolean().default(false) })

function staffId(req: PayloadRequest): number {
  const actor = actorOf(req)
  if (!isStaff(req) || actor.kind !== 'staff') throw new AppError('auth.staff_only', 403, languageOf(req))
  return Number(actor.id)
}

async function readJson(req: PayloadRequest): Promise<unknown> {
  try {
    return await req.json?.()
  } catch {
    return undefined
  }
}

/**
 * The admin bot console's API, for staff: GET the chat (`?rev=N` answers `{ changed: false }`
 * while nothing changed), POST what the tester does, and the files the bot downloads.
 */
export const botConsoleEndpoints: Endpoint[] = [
  {
    path: '/bot-console',
    method: 'get',
    handler: async (req) => {
      const chatId = consoleChatId(staffId(req))
      const since = Number(req.searchParams.get('rev') ?? -1)
      const rev = await consoleStore().rev(chatId)
      if (rev === since) return Response.json({ changed: false, rev })
      return Response.json({ changed: true, ...(await consoleStore().state(chatId)) })
    },
  },
  {
    path: '/bot-console',
    method: 'post',
    handler: async (req) => {
      const id = staffId(req)
      const { ConsoleInput, consoleReset, consoleSend } = await session()
      const Body = z.union([ConsoleInput.and(z.object({ language: Language.default('ru') })), Reset])
      const body = Body.safeParse(await readJson(req))
      if (!body.success) {
        const details = body.error.issues.map((i) => i.path.join('.') || i.message).join(', ')
        throw new AppError('request.invalid', 422, languageOf(req), { details })
      }
      if (body.data.kind === 'reset') {
        await consoleReset(req.payload, id, { account: body.data.account })
        return Response.json({ changed: true, ...(await consoleStore().state(consoleChatId(id))) })
      }
      const { language, ...input } = body.data
      const state = await consoleSend(req.payload, id, language, input as z.infer<typeof ConsoleInput>)
      return Response.json({ changed: true, ...state })
    },
  },
  {
    // The bot fetches files the tester attached from here (unguessable, 15-minute keys).
    path: '/bot-console/file/:key',
    method: 'get',
    handler: async (req) => {
      const content = await consoleStore().getFile(String(req.routeParams?.key ?? ''))
      if (!content) return Response.json({ ok: false }, { status: 404 })
      return new Response(new Uint8Array(content), {
        headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' },
      })
    },
  },
]
