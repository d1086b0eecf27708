import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * An OpenAI-compatible (and OpenRouter-flavoured) API on 127.0.0.1: POST /chat/completions plain
 * and SSE (`stream: true`, a usage chunk when `stream_options.include_usage`), POST
 * /images/generations and /images (b64_json). OpenRouter's `models` list is honoured the way
 * OpenRouter does it: the first live model answers. Per model name it can be dead (404/500/hang),
 * answer broken JSON (fenced, trailing commas, truncated, garbage), stream slowly or die
 * mid-stream. Answers are chosen by the `X-Postforge-Task` header; tests can replace them.
 * Every request is recorded.
 *
 * Like a chat model, it answers in prose unless the request asks for JSON the documented way
 * (`response_format: { type: 'json_schema', json_schema: { name, schema } }` or
 * `{ type: 'json_object' }`); asked with a schema, it answers JSON that matches the schema or
 * fails the request loudly (500) when its canned answer cannot, so a wrong schema is noticed.
 */
export type ModelKnobs = {
  dead?: 404 | 500 | 'hang'
  broken?: 'fenced' | 'trailing' | 'truncated' | 'garbage'
  /** Streamed tokens per second (a token is about one word here). */
  tokensPerSecond?: number
  /** Cut the connection after this many streamed chunks. */
  dieAfterChunks?: number
  /** USD per call reported in usage.cost; `false` reports none (as OpenAI-compatible servers). */
  cost?: number | false
  /** A server without structured output: a request with `response_format` is refused (400). */
  structuredOutput?: 'unsupported'
  /** Answers JSON even unasked, because the prompt says so (broken JSON is JSON attempted, too). */
  followsPrompt?: boolean
}

export type RecordedRequest = {
  path: string
  task: string
  model: string
  models?: string[]
  stream: boolean
  body: Record<string, any>
  answeredBy?: string
  status: number
  /** When the request arrived and when its answer was over (ms, Date.now()): overlap shows concurrency. */
  startedAt: number
  endedAt?: number
}

type Answer = (body: Record<string, any>, prompt: string) => string

const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

const words = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => (i % 12 === 11 ? `${seed}.` : ['кофе', 'зерно', 'обжарка', 'вкус', 'помол', 'турка', 'аромат', 'чашка', 'вода', 'время', 'свежий'][i % 11])).join(' ')

/** Plausible answers per task, valid for the app's schemas. */
export const DEFAULT_ANSWERS: Record<string, Answer> = {
  'keywords.cluster': () =>
    JSON.stringify({
      clusters: [
        { name: 'Выбор зерна', keywords: [
          { phrase: 'как выбрать кофе в зернах', intent: 'informational', priority: 5 },
          { phrase: 'кофе в зернах для кофемашины', intent: 'commercial', priority: 4 },
          { phrase: 'арабика или робуста', intent: 'informational', priority: 3 },
        ] },
        { name: 'Покупка', keywords: [
          { phrase: 'купить кофе в зернах', intent: 'transactional', priority: 5 },
          { phrase: 'Купить  кофе в зёрнах', intent: 'transactional', priority: 5 },
          { phrase: 'кофе свежей обжарки доставка', intent: 'transactional', priority: 4 },
        ] },
      ],
    }),
  'article.outline': () =>
    JSON.stringify({
      title: 'Как выбрать кофе в зернах',
      outline: [
        { level: 'h2', heading: 'Что такое свежая обжарка', notes: 'дата обжарки' },
        { level: 'h2', heading: 'Арабика и робуста', notes: 'различия' },
        { level: 'h2', heading: 'Помол под способ заваривания', notes: 'турка, воронка' },
        { level: 'h2', heading: 'Как хранить зерно', notes: 'клапан, темнота' },
      ],
    }),
  'article.section': (_body, prompt) => {
    const heading = /(?:Раздел|Section):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? 'раздел'
    const keyword = /(?:Главный запрос|Main query):\s*(.+)/.exec(prompt)?.[1]?.trim() ?? 'кофе'
    return `${keyword[0].toUpperCase()}${keyword.slice(1)} — ${words(60, 'Кофе')}\n\n**${heading}** ${words(60, 'Зерно')}\n\n- пункт один\n- пункт два`
  },
  'article.meta': () =>
    JSON.stringify({
      title: 'Как выбрать кофе в зернах: подробный гид для дома',
      slug: 'kak-vybrat-kofe-v-zernah',
      metaTitle: 'Как выбрать кофе в зернах: подробный гид для домашнего бариста и не только',
      metaDescription: `${'Рассказываем, как выбрать кофе в зернах под ваш способ заваривания. '.repeat(4)}`,
      excerpt: 'Коротко о выборе зерна.',
      imageAlt: 'Кофейные зёрна на столе',
    }),
  'article.faq': () =>
    JSON.stringify({
      items: [
        { question: 'Сколько хранится кофе в зернах?', answer: 'Около месяца после обжарки.' },
        { question: 'Какой помол нужен для турки?', answer: 'Самый мелкий.' },
      ],
    }),
  'post.variant': () =>
    JSON.stringify({
      variants: ['telegram', 'vk', 'pinterest', 'instagram'].map((platform) => ({
        platform,
        text: `${platform}: ${words(140, 'Кофе')}`,
        hashtags: ['кофе', 'зерно', 'обжарка'],
      })),
      imageAlt: 'Чашка кофе и зёрна',
    }),
  'image.prompt': () => 'A cup of coffee next to roasted coffee beans on a wooden table, soft light',
}

function breakJson(text: string, how: NonNullable<ModelKnobs['broken']>): string {
  switch (how) {
    case 'fenced':
      return `Вот результат:\n\`\`\`json\n${text}\n\`\`\`\nГотово.`
    case 'trailing':
      return text.replace(/}/g, ',}').replace(/]/g, ',]').replace(/,,/g, ',').replace(/^,/, '')
    case 'truncated':
      return text.slice(0, Math.floor(text.length * 0.85))
    case 'garbage':
      return 'Извините, я не могу ответить в формате JSON.'
  }
}

/** A JSON answer told in words, the way a chat model answers when nobody asked for a format. */
function asProse(text: string): string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return text
  }
  if (!value || typeof value !== 'object') return text
  const tell = (v: unknown, depth: number): string => {
    const pad = '  '.repeat(depth)
    if (Array.isArray(v)) return v.map((item) => `${pad}- ${tell(item, depth + 1).trimStart()}`).join('\n')
    if (v && typeof v === 'object') {
      return Object.entries(v)
        .map(([key, item]) => (item && typeof item === 'object' ? `${pad}${key}:\n${tell(item, depth + 1)}` : `${pad}${key} — ${item}`))
        .join('\n')
    }
    return `${pad}${String(v)}`
  }
  return `Конечно! Вот что у меня получилось.\n\n${tell(value, 0)}\n\nЕсли нужно, могу переписать.`
}

/** Why `value` does not match a JSON schema (the subset structured outputs use), or null. */
export function schemaMismatch(value: unknown, schema: Record<string, any>, path = 'value'): string | null {
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${path} is not one of ${schema.enum.join(', ')}`
  switch (schema.type) {
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return `${path} is not an object`
      const record = value as Record<string, unknown>
      for (const key of schema.required ?? []) if (!(key in record)) return `${path}.${key} is missing`
      for (const [key, item] of Object.entries(record)) {
        const property = schema.properties?.[key]
        if (!property) {
          if (schema.additionalProperties === false) return `${path}.${key} is not in the schema`
          continue
        }
        const problem = schemaMismatch(item, property, `${path}.${key}`)
        if (problem) return problem
      }
      return null
    }
    case 'array': {
      if (!Array.isArray(value)) return `${path} is not an array`
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${path} has fewer than ${schema.minItems} items`
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path} has more than ${schema.maxItems} items`
      for (const [index, item] of value.entries()) {
        const problem = schema.items ? schemaMismatch(item, schema.items, `${path}[${index}]`) : null
        if (problem) return problem
      }
      return null
    }
    case 'string':
      if (typeof value !== 'string') return `${path} is not a string`
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${path} is shorter than ${schema.minLength}`
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path} is longer than ${schema.maxLength}`
      return null
    case 'integer':
      return Number.isInteger(value) ? null : `${path} is not an integer`
    case 'number':
      return typeof value === 'number' ? null : `${path} is not a number`
    case 'boolean':
      return typeof value === 'boolean' ? null : `${path} is not a boolean`
    default:
      return null
  }
}

const tokensOf = (text: string) => text.match(/\S+\s*|\s+/g) ?? []

export async function startFakeOpenAI() {
  const requests: RecordedRequest[] = []
  const knobs = new Map<string, ModelKnobs>()
  const answers = new Map<string, Answer>()
  const sockets = new Set<Socket>()
  let imagesUnsupported = false

  const knob = (model: string): ModelKnobs => knobs.get(model) ?? {}

  async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return JSON.parse(Buffer.concat(chunks).toString() || '{}')
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  /** The model that answers: the first live one of OpenRouter's `models`, else `model`. */
  function pick(body: Record<string, any>): { model?: string; failure?: ModelKnobs['dead'] } {
    const candidates: string[] = Array.isArray(body.models) && body.models.length > 0 ? body.models : [body.model]
    for (const model of candidates) if (!knob(model).dead) return { model }
    return { failure: knob(candidates[candidates.length - 1]).dead }
  }

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '').replace(/\?.*$/, '')
    const body = await readBody(req)
    const task = String(req.headers['x-postforge-task'] ?? '')
    const record: RecordedRequest = { path, task, model: body.model, models: body.models, stream: body.stream === true, body, status: 200, startedAt: Date.now() }
    requests.push(record)
    res.on('close', () => {
      record.endedAt = Date.now()
    })
    const chosen = pick(body)
    if (!chosen.model) {
      record.status = chosen.failure === 404 ? 404 : 500
      if (chosen.failure === 'hang') return
      return send(res, record.status, { error: { message: chosen.failure === 404 ? `model ${body.model} not found` : 'upstream provider error', code: record.status } })
    }
    const model = chosen.model
    record.answeredBy = model
    const k = knob(model)

    if (path.endsWith('/images/generations') || path.endsWith('/images')) {
      if (imagesUnsupported) {
        record.status = 404
        return send(res, 404, { error: { message: 'This server does not generate images', code: 404 } })
      }
      return send(res, 200, { created: Math.floor(Date.now() / 1000), data: [{ b64_json: PNG_1PX }], usage: { prompt_tokens: 12, completion_tokens: 0, total_tokens: 12, ...(k.cost === false ? {} : { cost: k.cost ?? 0.04 }) } })
    }
    if (!path.endsWith('/chat/completions')) {
      record.status = 404
      return send(res, 404, { error: { message: `no route ${path}` } })
    }

    const format = body.response_format as { type?: string; json_schema?: { name?: unknown; schema?: unknown } } | undefined
    if (format && k.structuredOutput === 'unsupported') {
      record.status = 400
      return send(res, 400, { error: { message: `response_format is not supported by ${model}`, type: 'invalid_request_error', param: 'response_format', code: 400 } })
    }
    if (format?.type === 'json_schema' && (typeof format.json_schema?.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(format.json_schema.name) || !format.json_schema.schema)) {
      record.status = 400
      return send(res, 400, { error: { message: "Invalid 'response_format.json_schema': a name of letters, digits, '_' or '-' and a schema are required", type: 'invalid_request_error', param: 'response_format', code: 400 } })
    }
    const prompt = (body.messages as Array<{ content: unknown }>).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n')
    const answer = (answers.get(task) ?? DEFAULT_ANSWERS[task] ?? (() => 'ok'))(body, prompt)
    if (format?.type === 'json_schema') {
      let problem: string | null
      try {
        problem = schemaMismatch(JSON.parse(answer), format.json_schema!.schema as Record<string, any>)
      } catch {
        problem = 'the canned answer is not JSON'
      }
      if (problem) {
        record.status = 500
        return send(res, 500, { error: { message: `fake model: the answer for ${task} cannot match the requested schema (${problem})`, code: 500 } })
      }
    }
    const asked = format?.type === 'json_schema' || format?.type === 'json_object'
    const shaped = asked || k.followsPrompt || k.broken ? answer : asProse(answer)
    const content = k.broken ? breakJson(shaped, k.broken) : shaped
    const pieces = tokensOf(content)
    const usage = {
      prompt_tokens: Math.ceil(prompt.length / 4),
      completion_tokens: pieces.length,
      total_tokens: Math.ceil(prompt.length / 4) + pieces.length,
      ...(k.cost === false ? {} : { cost: k.cost ?? 0.001 }),
    }
    const id = `chatcmpl-${requests.length}`
    const created = Math.floor(Date.now() / 1000)

    if (!body.stream) {
      return send(res, 200, {
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage,
      })
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' })
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`
    res.write(chunk({ role: 'assistant', content: '' }))
    const delay = k.tokensPerSecond ? 1000 / k.tokensPerSecond : 0
    for (const [n, piece] of pieces.entries()) {
      if (k.dieAfterChunks !== undefined && n >= k.dieAfterChunks) {
        res.socket?.destroy()
        return
      }
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      if (res.destroyed) return
      res.write(chunk({ content: piece }))
    }
    res.write(chunk({}, 'stop'))
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`)
    }
    res.end('data: [DONE]\n\n')
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`
  return {
    url,
    requests,
    /** Knobs for one model name (replaces earlier ones). */
    setModel(model: string, settings: ModelKnobs) {
      knobs.set(model, settings)
    },
    /** Replace the answer for a task (the header `X-Postforge-Task`). */
    reply(task: string, answer: Answer | string) {
      answers.set(task, typeof answer === 'string' ? () => answer : answer)
    },
    refuseImages(refuse = true) {
      imagesUnsupported = refuse
    },
    reset() {
      knobs.clear()
      answers.clear()
      imagesUnsupported = false
      requests.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export type FakeOpenAI = Awaited<ReturnType<typeof startFakeOpenAI>>

/** Environment that points the app's AI provider at the fake (models per task set explicitly). */
export function fakeAiEnv(fake: FakeOpenAI, provider: 'openrouter' | 'openai-compatible' = 'openrouter'): Record<string, string> {
  return {
    AI_PROVIDER: provider,
    AI_BASE_URL: fake.url,
    AI_API_KEY: 'test-key',
    AI_MODELS: 'default=test/primary,test/fallback;image=test/image',
    // Generous: on a busy machine a streamed answer (a timer per token) can outlast a few seconds,
    // time out and go to the fallback model, and the test counts a call too many. A test about
    // timeouts sets its own (ai-models: one second with a hanging model).
    AI_TIMEOUT_MS: '60000',
    AI_MAX_RETRIES: '0',
    AI_DRAFT_INTERVAL_MS: '200',
    AI_PRICES: '',
  }
}
