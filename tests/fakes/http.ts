import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The small base of the platform fakes: a node:http server on 127.0.0.1 that parses JSON, form,
 * multipart and raw bodies, records every call, and answers through the fake's handler unless a
 * knob queued for that route says otherwise (an error answer, a slow answer, or a hang).
 */
export type FakeFile = { field: string; name: string; type: string; size: number }
export type FakeCall = {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** JSON, form or multipart fields; a raw body is in `raw`. */
  body: Record<string, unknown>
  files: FakeFile[]
  raw: Buffer
  /** The route key knobs are queued under, e.g. `POST /posts` or `wall.post`. */
  key: string
}
export type Reply = { status: number; body?: unknown; headers?: Record<string, string>; text?: string }
/**
 * `hang`: the platform does the work (the post exists) and never answers; `drop`: it never even
 * looks at the request. `delayMs` answers normally, late.
 */
export type Knob = Reply | { hang: 'after' | 'drop' } | { delayMs: number }

export type FakeServer = {
  url: string
  calls: FakeCall[]
  fail(key: string, knob: Knob, times?: number): void
  callsTo(key: string): FakeCall[]
  close(): Promise<void>
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers })

export async function startFakeServer(options: {
  key: (call: Omit<FakeCall, 'key'>) => string
  handle: (call: FakeCall, base: string) => Reply | Promise<Reply>
}): Promise<FakeServer> {
  const calls: FakeCall[] = []
  const knobs = new Map<string, Knob[]>()
  const sockets = new Set<Socket>()
  let base = ''
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const type = req.headers['content-type'] ?? ''
    const body: Record<string, unknown> = {}
    const files: FakeFile[] = []
    if (type.includes('application/json') && raw.length) Object.assign(body, JSON.parse(raw.toString()))
    else if (type.includes('application/x-www-form-urlencoded')) Object.assign(body, Object.fromEntries(new URLSearchParams(raw.toString())))
    else if (type.includes('multipart/form-data')) {
      const form = await new Request('http://x', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData()
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') body[field] = value
        else files.push({ field, name: value.name, type: value.type, size: value.size })
      }
    }
    const partial = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, files, raw }
    const call: FakeCall = { ...partial, key: options.key(partial) }
    calls.push(call)
    const knob = knobs.get(call.key)?.shift()
    if (knob && 'hang' in knob) {
      if (knob.hang === 'after') await options.handle(call, base)
      return
    }
    if (knob && 'delayMs' in knob) await sleep(knob.delayMs)
    const reply = knob && 'status' in knob ? knob : await options.handle(call, base)
    const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body))
    res.writeHead(reply.status, { 'Content-Type': reply.text !== undefined ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8', ...reply.headers })
    res.end(text)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    calls,
    fail(key, knob, times = 1) {
      knobs.set(key, [...(knobs.get(key) ?? []), ...Array.from({ length: times }, () => knob)])
    },
    callsTo: (key) => calls.filter((c) => c.key === key),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
