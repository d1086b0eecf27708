import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A Telegram Bot API on 127.0.0.1 that answers /bot<token>/<method> as Telegram does
 * ({ ok, result } or { ok: false, error_code, description, parameters }), parses JSON, form and
 * multipart bodies, records every call, and fails or hangs on demand.
 */
export type BotApiCall = { method: string; params: Record<string, unknown>; files: string[] }
type Failure = { status: number; description: string; retryAfter?: number } | 'hang'

export async function startFakeBotApi() {
  const calls: BotApiCall[] = []
  const failures = new Map<string, Failure[]>()
  let messageId = 1000
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer(async (req, res) => {
    const match = req.url?.match(/^\/bot[^/]+\/(\w+)/)
    const method = match?.[1] ?? ''
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const params: Record<string, unknown> = {}
    const files: string[] = []
    const type = req.headers['content-type'] ?? ''
    if (type.includes('application/json')) Object.assign(params, JSON.parse(raw.toString() || '{}'))
    else if (raw.length > 0) {
      const form = await new Request('http://x', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData()
      for (const [key, value] of form.entries()) {
        if (typeof value === 'string') params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value
        else files.push(key)
      }
    }
    calls.push({ method, params, files })
    const failure = failures.get(method)?.shift()
    if (failure === 'hang') return
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (failure) {
      return send(failure.status, {
        ok: false,
        error_code: failure.status,
        description: failure.description,
        ...(failure.retryAfter ? { parameters: { retry_after: failure.retryAfter } } : {}),
      })
    }
    const chat = { id: -1001234567890, type: 'channel', title: 'Test channel', username: 'pf_channel' }
    const message = (extra: Record<string, unknown> = {}) => ({ message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat, ...extra })
    switch (method) {
      case 'sendMessage':
        return send(200, { ok: true, result: message({ text: params.text }) })
      case 'sendPhoto':
        return send(200, { ok: true, result: message({ photo: [{ file_id: 'p', file_unique_id: 'u', width: 1, height: 1 }], caption: params.caption }) })
      case 'sendMediaGroup':
        return send(200, { ok: true, result: (params.media as unknown[]).map(() => message({ photo: [] })) })
      default:
        return send(200, { ok: true, result: true })
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    fail(method: string, failure: Failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure])
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
