import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'

/**
 * An OTLP/HTTP trace receiver (opentelemetry.io/docs/specs/otlp, "OTLP/HTTP"): `POST /v1/traces`
 * with an ExportTraceServiceRequest, JSON (`application/json`: trace and span ids as hex strings,
 * the OTLP JSON mapping) or binary protobuf (`application/x-protobuf`, decoded here as far as
 * resource attributes, trace ids, span ids, parent ids and names). Gzip bodies are accepted.
 * Answers 200 with an empty ExportTraceServiceResponse in the request's encoding.
 */
export type ReceivedSpan = { traceId: string; spanId: string; parentSpanId: string; name: string; service: string; attributes: Record<string, unknown> }

export type FakeOtlp = {
  /** The collector's base URL (what OTEL_EXPORTER_OTLP_ENDPOINT holds). */
  url: string
  spans: ReceivedSpan[]
  requests: { contentType: string; bytes: number }[]
  close(): Promise<void>
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
const valueOf = (v: AnyValue | undefined): unknown => v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue ?? v?.doubleValue)

function fromJson(body: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const rs of (body as { resourceSpans?: unknown[] }).resourceSpans ?? []) {
    const r = rs as { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans?: { spans?: unknown[] }[] }
    const service = String(valueOf(r.resource?.attributes?.find((a) => a.key === 'service.name')?.value) ?? '')
    for (const ss of r.scopeSpans ?? []) {
      for (const raw of ss.spans ?? []) {
        const s = raw as { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: AnyValue }[] }
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          service,
          attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
        })
      }
    }
  }
  return spans
}

/** Minimal protobuf reader: fields of a message as [number, wireType, value]. */
function fields(buffer: Buffer): [number, number, Buffer | number][] {
  const out: [number, number, Buffer | number][] = []
  let offset = 0
  const varint = () => {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = buffer[offset++]
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return result
      shift += 7
    }
  }
  while (offset < buffer.length) {
    const key = varint()
    const number = Math.floor(key / 8)
    const wire = key & 7
    if (wire === 0) out.push([number, wire, varint()])
    else if (wire === 1) (out.push([number, wire, buffer.subarray(offset, offset + 8)]), (offset += 8))
    else if (wire === 5) (out.push([number, wire, buffer.subarray(offset, offset + 4)]), (offset += 4))
    else if (wire === 2) {
      const length = varint()
      out.push([number, wire, buffer.subarray(offset, offset + length)])
      offset += length
    } else throw new Error(`unsupported wire type ${wire}`)
  }
  return out
}

const sub = (f: [number, number, Buffer | number][], n: number) => f.filter(([num, wire]) => num === n && wire === 2).map(([, , v]) => v as Buffer)

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.resource = 1, scope_spans = 2;
  // Resource.attributes = 1 (KeyValue: key = 1, value = 2 AnyValue: string_value = 1);
  // ScopeSpans.spans = 2; Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5.
  for (const rs of sub(fields(body), 1)) {
    const rsf = fields(rs)
    let service = ''
    for (const resource of sub(rsf, 1))
      for (const kv of sub(fields(resource), 1)) {
        const kvf = fields(kv)
        if (sub(kvf, 1)[0]?.toString() === 'service.name') service = sub(fields(sub(kvf, 2)[0] ?? Buffer.alloc(0)), 1)[0]?.toString() ?? ''
      }
    for (const ss of sub(rsf, 2))
      for (const span of sub(fields(ss), 2)) {
        const sf = fields(span)
        spans.push({
          traceId: sub(sf, 1)[0]?.toString('hex') ?? '',
          spanId: sub(sf, 2)[0]?.toString('hex') ?? '',
          parentSpanId: sub(sf, 4)[0]?.toString('hex') ?? '',
          name: sub(sf, 5)[0]?.toString('utf8') ?? '',
          service,
          attributes: {},
        })
      }
  }
  return spans
}

export async function startFakeOtlp(): Promise<FakeOtlp> {
  const spans: ReceivedSpan[] = []
  const requests: FakeOtlp['requests'] = []
  const sockets = new Set<Socket>()
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let body = Buffer.concat(chunks)
    if (String(req.headers['content-encoding'] ?? '').includes('gzip')) body = gunzipSync(body)
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim()
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/traces') {
      res.writeHead(404).end()
      return
    }
    requests.push({ contentType, bytes: body.length })
    try {
      if (contentType === 'application/json') {
        spans.push(...fromJson(JSON.parse(body.toString('utf8'))))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      } else if (contentType === 'application/x-protobuf') {
        spans.push(...fromProtobuf(body))
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0))
      } else res.writeHead(415).end()
    } catch {
      res.writeHead(400).end()
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
