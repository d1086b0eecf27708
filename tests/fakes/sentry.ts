import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'

/**
 * A Sentry ingest endpoint as the SDKs speak to it (develop.sentry.dev, "Envelopes"):
 * `POST /api/<project_id>/envelope/` with `X-Sentry-Auth` (or `sentry_key` in the query), a body
 * of newline-separated JSON: the envelope header, then for each item its header and its payload
 * (exactly `length` bytes when the item header gives one, else up to the next newline). Bodies
 * may be gzip- or deflate-encoded. Answers 200 `{}` (with the event id) as Sentry does.
 */
export type EnvelopeItem = { header: { type: string; length?: number; [key: string]: unknown }; payload: unknown; raw: string }
export type Envelope = { header: Record<string, unknown>; items: EnvelopeItem[]; raw: string; project: string; headers: IncomingHttpHeaders }

export type SentryEvent = {
  event_id?: string
  release?: string
  environment?: string
  tags?: Record<string, string>
  user?: Record<string, unknown>
  contexts?: Record<string, Record<string, unknown>>
  exception?: { values?: { type?: string; value?: string }[] }
  [key: string]: unknown
}

export function parseEnvelope(body: Buffer): Omit<Envelope, 'project' | 'headers'> {
  let offset = 0
  const readLine = (): string | null => {
    if (offset >= body.length) return null
    const end = body.indexOf(0x0a, offset)
    const line = body.subarray(offset, end === -1 ? body.length : end).toString('utf8')
    offset = end === -1 ? body.length : end + 1
    return line
  }
  const headerLine = readLine()
  if (headerLine === null) throw new Error('empty envelope')
  const header = JSON.parse(headerLine) as Record<string, unknown>
  const items: EnvelopeItem[] = []
  for (;;) {
    const itemHeaderLine = readLine()
    if (itemHeaderLine === null) break
    if (itemHeaderLine.trim() === '') continue
    const itemHeader = JSON.parse(itemHeaderLine) as EnvelopeItem['header']
    let raw: string
    if (typeof itemHeader.length === 'number') {
      raw = body.subarray(offset, offset + itemHeader.length).toString('utf8')
      offset += itemHeader.length
      if (body[offset] === 0x0a) offset += 1
    } else raw = readLine() ?? ''
    let payload: unknown = raw
    try {
      payload = JSON.parse(raw)
    } catch {
      // attachments and other non-JSON payloads stay text
    }
    items.push({ header: itemHeader, payload, raw })
  }
  return { header, items, raw: body.toString('utf8') }
}

export type FakeSentry = {
  /** A DSN pointing at this fake: http://<key>@127.0.0.1:<port>/<project>. */
  dsn: string
  envelopes: Envelope[]
  /** The error events received (items of type "event"). */
  events(): SentryEvent[]
  close(): Promise<void>
}

export async function startFakeSentry(project = '4242', key = 'fakepublickey0123456789'): Promise<FakeSentry> {
  const envelopes: Envelope[] = []
  const sockets = new Set<Socket>()
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let body = Buffer.concat(chunks)
    const match = url.pathname.match(/^\/api\/([^/]+)\/envelope\/?$/)
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'not found' }))
      return
    }
    const auth = String(req.headers['x-sentry-auth'] ?? '')
    if (!auth.includes(`sentry_key=${key}`) && url.searchParams.get('sentry_key') !== key) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'missing authorization' }))
      return
    }
    const encoding = String(req.headers['content-encoding'] ?? '')
    if (encoding.includes('gzip')) body = gunzipSync(body)
    else if (encoding.includes('deflate')) body = inflateSync(body)
    try {
      const envelope = { ...parseEnvelope(body), project: match[1], headers: req.headers }
      envelopes.push(envelope)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: envelope.header.event_id ?? null }))
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `invalid envelope: ${(error as Error).message}` }))
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    dsn: `http://${key}@127.0.0.1:${port}/${project}`,
    envelopes,
    events: () => envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'event').map((i) => i.payload as SentryEvent)),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
