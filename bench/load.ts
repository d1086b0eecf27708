/**
 * Load over real HTTP against the production build, beside bare baselines in the same run.
 *
 *   npm run bench:load -- [--web 1] [--workers 0] [--rates 100,300,500] [--duration 20]
 *                         [--connections 100] [--customers 1000] [--soak 0] [--only webhook|api]
 *   npm run bench:load -- --scale --web 2 --workers 2      (the scale-out proof, below)
 *
 * What it does:
 *   1. A scratch database (migrated), 1,000 verified customers with three projects each, 100 of
 *      them with API keys; a fake Bot API in a process of its own (bench/fakeTelegram.ts).
 *   2. `WEB_PROCESSES=<web> node scripts/cluster.mjs` on the production build (`next build` first
 *      when there is none) and <workers> workers; the bare grammY webhook and the bare Payload
 *      server (bench/bareServers.ts) with the same number of processes.
 *   3. autocannon: the webhook at fixed arrival rates (latencies corrected for coordinated
 *      omission) and flat out at <connections> connections, ours and bare grammY; REST
 *      `GET /api/projects` and a GraphQL list with API keys at <connections> connections, beside
 *      bare Payload's `find`, and both at the lowest fixed rate, evenly spaced (100 customers). Updates are a mix from all customers: /menu, the projects-list
 *      button, free text (as bench/bot.ts, but over HTTP).
 *   4. `--soak <seconds>` then holds the highest rate that long and prints errors and the web
 *      processes' memory every 30 s.
 *
 *   5. `--scale` instead measures the webhook with one web process and one worker, then with
 *      `--web` and `--workers` of each, against the same database and Redis, and prints the ratio.
 *
 * Prints throughput, p50/p99/max, errors and non-2xx for each, and ours/bare ratios. The machine
 * running it also runs the servers: read the ratios, not the absolute figures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'

import autocannon from 'autocannon'
import pg from 'pg'

import { row, scratchDatabase } from './lib'

type Args = { web: number; workers: number; rates: number[]; duration: number; connections: number; customers: number; soak: number; only?: string; scale: boolean }

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  return {
    web: Number(get('web') ?? 1),
    workers: Number(get('workers') ?? 0),
    rates: (get('rates') ?? '100,300,500').split(',').map(Number),
    duration: Number(get('duration') ?? 20),
    connections: Number(get('connections') ?? 100),
    customers: Number(get('customers') ?? 1000),
    soak: Number(get('soak') ?? 0),
    only: get('only'),
    scale: argv.includes('--scale'),
  }
}

const args = parseArgs(process.argv.slice(2))
const TOKEN = `7000000001:${'B'.repeat(35)}`
const SECRET = randomBytes(16).toString('hex')
const USER_BASE = 4_000_000_000

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts a process group and resolves with it and what it printed once `ready` matches. */
function startChild(command: string, argv: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (ready.test(out)) resolve({ child, output: out })
    })
    child.once('exit', (code) => reject(new Error(`${command} ${argv.join(' ')} exited with ${code}: ${out.slice(-500)}`)))
  })
}

function stopChild(child: ChildProcess | undefined) {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {}
  }
}

async function waitForHealth(url: string, ms = 120_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`${url} not healthy after ${ms} ms`)
}

let updateId = Math.floor(Math.random() * 1e9)
function nextUpdate(customers: number): string {
  const chat = USER_BASE + Math.floor(Math.random() * customers)
  const id = ++updateId
  const from = { id: chat, is_bot: false, first_name: 'Load', language_code: 'ru' }
  const chatObject = { id: chat, type: 'private', first_name: 'Load' }
  const date = Math.floor(Date.now() / 1000)
  const kind = id % 3
  if (kind === 1) {
    return JSON.stringify({
      update_id: id,
      callback_query: { id: String(id), from, chat_instance: String(chat), data: 'p:list:1', message: { message_id: 1, date, chat: chatObject, from: { id: 7000000001, is_bot: true, first_name: 'Bot' }, text: 'menu' } },
    })
  }
  const text = kind === 0 ? '/menu' : 'просто текст'
  return JSON.stringify({
    update_id: id,
    message: { message_id: id, date, chat: chatObject, from, text, ...(kind === 0 ? { entities: [{ type: 'bot_command', offset: 0, length: 5 }] } : {}) },
  })
}

type Figures = { label: string; perSecond: number; p50: number; p99: number; max: number; errors: number; non2xx: number; total: number }

async function load(label: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ timeout: 10, ...options })
  const figures: Figures = {
    label,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  }
  row(label, {
    'req/s': Math.round(figures.perSecond),
    p50ms: figures.p50,
    p99ms: figures.p99,
    maxms: figures.max,
    errors: figures.errors,
    non2xx: figures.non2xx,
    ...(figures.non2xx > 0 ? { statuses: Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}x${count}`).join(',') } : {}),
  })
  return figures
}

/**
 * Requests at evenly spaced instants (`rate` a second), whatever the answers do: an open loop.
 * autocannon's `overallRate` gives each connection its share of the rate on timers that start
 * together, so its fixed-rate steps arrive as bursts of one request per connection (20 updates at
 * once every 200 ms at 100/s), which is how Telegram does not deliver. Latency is counted from
 * each request's planned instant, so a server that falls behind is charged the wait.
 */
async function uniform(label: string, options: { url: string; rate: number; duration: number; method?: string; headers: () => Record<string, string>; body?: () => string }): Promise<Figures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 })
  const target = new URL(options.url)
  const total = Math.round(options.rate * options.duration)
  const latencies: number[] = []
  let errors = 0
  let non2xx = 0
  const started = performance.now()
  const send = (planned: number) =>
    new Promise<void>((resolve) => {
      const body = options.body?.()
      const request = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? 'GET', headers: { ...options.headers(), ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) }, timeout: 10_000 },
        (response) => {
          response.resume()
          response.on('end', () => {
            if ((response.statusCode ?? 0) >= 300) non2xx++
            latencies.push(performance.now() - planned)
            resolve()
          })
        },
      )
      request.on('timeout', () => request.destroy(new Error('timeout')))
      request.on('error', () => {
        errors++
        resolve()
      })
      request.end(body)
    })
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; ) {
    const now = performance.now() - started
    while (i < total && (i * 1000) / options.rate <= now) {
      pending.push(send(started + (i * 1000) / options.rate))
      i++
    }
    await new Promise((r) => setTimeout(r, 1))
  }
  await Promise.all(pending)
  agent.destroy()
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
  const figures: Figures = { label, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), max: Math.round(latencies.at(-1) ?? 0), errors, non2xx, total }
  row(label, { 'req/s': Math.round(figures.perSecond), p50ms: figures.p50, p99ms: figures.p99, maxms: figures.max, errors, non2xx })
  return figures
}

const webhookHeaders = () => ({ 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET })

function webhookOptions(url: string, rate?: number): autocannon.Options {
  return {
    url: `${url}/api/telegram`,
    connections: rate ? Math.min(args.connections, Math.max(10, Math.ceil(rate / 5))) : args.connections,
    duration: args.duration,
    ...(rate ? { overallRate: rate } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    requests: [{ setupRequest: (request: any) => ({ ...request, body: nextUpdate(args.customers) }) }],
  }
}

function rss(pid: number): number {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)
  return [pid, ...children].reduce((sum, p) => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      return sum + (match ? Number(match[1]) * 1024 : 0)
    } catch {
      return sum
    }
  }, 0)
}

async function seed(url: string): Promise<{ keys: string[]; accountIds: number[] }> {
  const migrate = spawnSync('npx', ['payload', 'migrate'], { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' })
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stderr}`)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  let accountIds: number[]
  try {
    // On the 'pro' plan, whose limits no load step reaches.
    await client.query(
      `insert into accounts (telegram_id, display_name, language, timezone, plan, status, verified_human_at)
       select $1::bigint + g, 'Load ' || g, 'ru', 'Europe/Moscow', 'pro', 'active', now() from generate_series(0, $2::int - 1) g`,
      [USER_BASE, args.customers],
    )
    await client.query(
      `insert into projects (name, account_id, timezone, language, review_policy)
       select 'Project ' || p, a.id, 'Europe/Moscow', 'ru', 'staff' from accounts a cross join generate_series(1, 3) p`,
    )
    accountIds = (await client.query<{ id: number }>('select id from accounts order by id limit 100')).rows.map((r) => r.id)
  } finally {
    await client.end()
  }
  // API keys through Payload, which stores their HMAC index.
  process.env.DATABASE_URL = url
  const { getPayload } = await import('payload')
  const { default: config } = await import('../src/payload.config')
  const payload = await getPayload({ config })
  const keys: string[] = []
  for (const id of accountIds) {
    const key = randomBytes(24).toString('hex')
    await payload.update({ collection: 'accounts', id, data: { enableAPIKey: true, apiKey: key }, overrideAccess: true })
    keys.push(key)
  }
  await payload.destroy()
  return { keys, accountIds }
}

/** Our production build with `web` web processes (scripts/cluster.mjs) and `workers` workers. */
async function startOurs(env: NodeJS.ProcessEnv, web: number, workers: number): Promise<{ base: string; web: ChildProcess; children: ChildProcess[] }> {
  const port = await freePort()
  const { child } = await startChild('node', ['scripts/cluster.mjs'], { ...env, WEB_PROCESSES: String(web), PORT: String(port) }, /web processes on port/)
  const children = [child]
  for (let i = 0; i < workers; i++) children.push(spawn('node', ['--import', 'tsx', 'src/jobs/worker.ts'], { env, stdio: 'ignore', detached: true }))
  const base = `http://127.0.0.1:${port}`
  await waitForHealth(`${base}/api/health`)
  // A worker's boot (tsx compiling the task list) takes both cores for a while: measure after it.
  if (workers > 0) await waitForWorkers(env.DATABASE_URL!, workers)
  return { base, web: child, children }
}

/** Until `count` workers are in the registry (each registers once its job runners have started). */
async function waitForWorkers(url: string, count: number, ms = 300_000) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const { rows } = await client
        .query<{ n: number }>(`select count(*)::int as n from postforge.worker_processes where seen_at > now() - interval '30 seconds'`)
        .catch(() => ({ rows: [{ n: 0 }] }))
      if (rows[0].n >= count) return
      await new Promise((r) => setTimeout(r, 500))
    }
    throw new Error(`${count} worker(s) not registered after ${ms} ms`)
  } finally {
    await client.end()
  }
}

/**
 * The scale-out proof: the webhook flat out (and at the highest fixed rate) against one web
 * process and one worker, then against `--web` and `--workers` of each, on the same database,
 * Redis and fake Bot API, in this run; prints the throughput ratio.
 */
async function scaleOut(env: NodeJS.ProcessEnv) {
  const rate = Math.max(...args.rates)
  const measure = async (web: number, workers: number) => {
    const ours = await startOurs(env, web, workers)
    try {
      // Every process warmed up (JIT, Next's route chunks, pools) before anything is counted.
      await autocannon({ ...webhookOptions(ours.base), duration: 10 * web, connections: 20 })
      const flat = await load(`webhook ${web} web + ${workers} worker(s), ${args.connections} conns`, webhookOptions(ours.base))
      const fixed = await load(`webhook ${web} web + ${workers} worker(s) @${rate}/s`, webhookOptions(ours.base, rate))
      return { flat, fixed }
    } finally {
      for (const child of ours.children) stopChild(child)
      await new Promise((r) => setTimeout(r, 2_000))
    }
  }
  process.stdout.write(`\nscale-out: 1 web + 1 worker, then ${args.web} web + ${args.workers} workers; ${args.customers} customers, ${args.duration} s per step\n`)
  const one = await measure(1, 1)
  const many = await measure(args.web, args.workers)
  row(`webhook ${args.web}+${args.workers} / 1+1 throughput`, { ratio: (many.flat.perSecond / one.flat.perSecond).toFixed(2) })
  row(`webhook p99 @${rate}/s, 1+1 vs ${args.web}+${args.workers}`, { one: one.fixed.p99, many: many.fixed.p99 })
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn'
  process.env.PAYLOAD_SECRET ??= randomBytes(32).toString('hex')
  process.env.CREDENTIALS_ENCRYPTION_KEY ??= randomBytes(32).toString('base64')
  if (!existsSync('.next/BUILD_ID')) {
    process.stdout.write('no production build in .next: running next build (a few minutes)\n')
    const build = spawnSync('npx', ['next', 'build'], { stdio: 'inherit', env: { ...process.env, DATABASE_URL: 'postgres://build@127.0.0.1:1/build', NODE_ENV: 'production' } })
    if (build.status !== 0) throw new Error('next build failed')
  }
  const children: ChildProcess[] = []
  const db = await scratchDatabase('postforge_bench_load')
  try {
    const { keys, accountIds } = await seed(db.url)
    const fake = await startChild('node_modules/.bin/tsx', ['bench/fakeTelegram.ts'], process.env, /READY \S+/)
    children.push(fake.child)
    const apiRoot = /READY (\S+)/.exec(fake.output)![1]
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_SENDS_PER_SECOND: '100000',
      TELEGRAM_CHAT_SENDS_PER_SECOND: '100000',
      TELEGRAM_GROUP_SENDS_PER_MINUTE: '6000000',
      LOG_LEVEL: 'warn',
    }
    if (args.scale) {
      await scaleOut(env)
      return
    }
    const ours = await startOurs(env, args.web, args.workers)
    children.push(...ours.children)
    const { base, web } = ours
    const barePort = await freePort()
    children.push((await startChild('node_modules/.bin/tsx', ['bench/bareServers.ts', 'grammy', String(barePort), String(args.web), apiRoot, SECRET], env, /READY/)).child)
    const payloadPort = await freePort()
    children.push((await startChild('node_modules/.bin/tsx', ['bench/bareServers.ts', 'payload', String(payloadPort), String(args.web)], env, /READY/)).child)
    const bare = `http://127.0.0.1:${barePort}`

    process.stdout.write(
      `\nload: ${args.web} web process(es), ${args.workers} worker(s), ${args.customers} customers, ${args.duration} s per step, ${args.connections} connections\n`,
    )
    // Warm-up: JIT, pools, Next's route compilation, Payload's first queries.
    await autocannon({ ...webhookOptions(base), duration: 10 * args.web, connections: 20 })
    await autocannon({ ...webhookOptions(bare), duration: 5, connections: 10 })

    if (args.only !== 'api') {
      for (const rate of args.rates) {
        await load(`webhook ours  @${rate}/s`, webhookOptions(base, rate))
        await load(`webhook bare  @${rate}/s`, webhookOptions(bare, rate))
      }
      for (const rate of args.rates) {
        const even = (url: string) => ({ url: `${url}/api/telegram`, rate, duration: args.duration, method: 'POST', headers: webhookHeaders, body: () => nextUpdate(args.customers) })
        await uniform(`webhook ours  @${rate}/s evenly`, even(base))
        await uniform(`webhook bare  @${rate}/s evenly`, even(bare))
      }
      const ours = await load(`webhook ours  ${args.connections} conns`, webhookOptions(base))
      const bareFlat = await load(`webhook bare  ${args.connections} conns`, webhookOptions(bare))
      row('webhook ours/bare throughput', { ratio: (ours.perSecond / bareFlat.perSecond).toFixed(2) })
    }
    if (args.only !== 'webhook') {
      // 100 customers, each from an address of its own, as they arrive through the reverse proxy
      // (which appends the client's address to X-Forwarded-For; per-client limits key on it).
      let k = 0
      const asCustomer = (request: any) => {
        const i = k++ % keys.length
        return { ...request, headers: { ...request.headers, authorization: `accounts API-Key ${keys[i]}`, 'x-forwarded-for': `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` } }
      }
      const rest = await load(`REST /api/projects ${args.connections} conns`, {
        url: `${base}/api/projects?limit=10&depth=0`,
        connections: args.connections,
        duration: args.duration,
        requests: [{ setupRequest: asCustomer }],
      })
      const graphql = await load(`GraphQL Projects ${args.connections} conns`, {
        url: `${base}/api/graphql`,
        connections: args.connections,
        duration: args.duration,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ Projects(limit: 10) { docs { id name } } }' }),
        requests: [{ setupRequest: asCustomer }],
      })
      // 100 customers at a steady 100 requests a second between them, evenly spaced: the audit's
      // "100 concurrent users", where a closed loop of 100 connections measures only
      // connections ÷ throughput.
      const apiRate = Math.min(...args.rates)
      let c = 0
      const customerHeaders = (extra: Record<string, string> = {}) => () => {
        const i = c++ % keys.length
        return { ...extra, authorization: `accounts API-Key ${keys[i]}`, 'x-forwarded-for': `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }
      }
      await uniform(`REST /api/projects @${apiRate}/s evenly`, { url: `${base}/api/projects?limit=10&depth=0`, rate: apiRate, duration: args.duration, headers: customerHeaders() })
      await uniform(`GraphQL Projects @${apiRate}/s evenly`, {
        url: `${base}/api/graphql`,
        rate: apiRate,
        duration: args.duration,
        method: 'POST',
        headers: customerHeaders({ 'content-type': 'application/json' }),
        body: () => JSON.stringify({ query: '{ Projects(limit: 10) { docs { id name } } }' }),
      })
      let a = 0
      const barePayload = await load(`bare Payload find ${args.connections} conns`, {
        url: `http://127.0.0.1:${payloadPort}/projects`,
        connections: args.connections,
        duration: args.duration,
        requests: [{ setupRequest: (request: any) => ({ ...request, path: `/projects?account=${accountIds[a++ % accountIds.length]}` }) }],
      })
      row('REST ours/bare Payload', { ratio: (rest.perSecond / barePayload.perSecond).toFixed(2) })
      row('GraphQL ours/bare Payload', { ratio: (graphql.perSecond / barePayload.perSecond).toFixed(2) })
    }
    if (args.soak > 0) {
      const rate = Math.max(...args.rates)
      process.stdout.write(`\nsoak: ${rate} updates/s for ${args.soak} s\n`)
      const sampler = setInterval(() => row(`  web RSS at ${new Date().toISOString().slice(11, 19)}`, { MB: Math.round(rss(web.pid!) / 1e6) }), 30_000)
      await load(`soak webhook @${rate}/s`, { ...webhookOptions(base, rate), duration: args.soak })
      clearInterval(sampler)
      row('web RSS after soak', { MB: Math.round(rss(web.pid!) / 1e6) })
    }
  } catch (error) {
    process.stderr.write(`bench:load failed: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exitCode = 1
  } finally {
    for (const child of children) stopChild(child)
    await new Promise((r) => setTimeout(r, 1_000))
    await db.drop()
  }
}

await main()
process.exit(process.exitCode ?? 0)
