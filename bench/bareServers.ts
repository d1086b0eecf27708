/**
 * The baselines bench/load.ts measures Postforge against, each a server of its own on one port,
 * forked into `processes` processes with node:cluster as our web app is (scripts/cluster.mjs):
 *
 *   grammy  <port> <processes> <apiRoot> <secret>  a bare grammY webhook (node:http adapter,
 *           in-memory sessions) that answers each message with one message and each button with
 *           answerCallbackQuery, through the same fake Bot API.
 *   payload <port> <processes>                      Payload's Local API on the same config and
 *           database behind node:http: GET /projects?account=<id> is one `find` of ten projects,
 *           depth 0, no access rules, no REST layer, no Next.
 *
 * Prints `READY` once every process listens.
 */
import cluster from 'node:cluster'
import http from 'node:http'

import { Bot, session, webhookCallback } from 'grammy'

import { FAKE_BOT } from '../tests/fakes/telegramBotApi'

const [mode, portArg, processesArg, apiRoot, secret] = process.argv.slice(2)
const port = Number(portArg)
const processes = Number(processesArg ?? 1)
const TOKEN = `7000000001:${'B'.repeat(35)}`

if (cluster.isPrimary) {
  let ready = 0
  for (let i = 0; i < processes; i++) {
    cluster.fork().on('message', (message) => {
      if (message === 'listening' && ++ready === processes) process.stdout.write('READY\n')
    })
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exit(0)
  })
} else if (mode === 'grammy') {
  const bot = new Bot<any>(TOKEN, { botInfo: FAKE_BOT, client: { apiRoot } })
  bot.use(session({ initial: () => ({ n: 0 }) }))
  bot.on('callback_query', async (ctx) => {
    ctx.session.n++
    await ctx.answerCallbackQuery()
  })
  bot.on('message', async (ctx) => {
    ctx.session.n++
    await ctx.reply(`message ${ctx.session.n}`)
  })
  const handle = webhookCallback(bot, 'http', { secretToken: secret })
  http.createServer((req, res) => void handle(req, res)).listen(port, () => process.send?.('listening'))
} else if (mode === 'payload') {
  const { getPayload } = await import('payload')
  const { default: config } = await import('../src/payload.config')
  const payload = await getPayload({ config })
  http
    .createServer(async (req, res) => {
      try {
        const url = new URL(req.url ?? '/', 'http://bare')
        const account = Number(url.searchParams.get('account'))
        const found = await payload.find({ collection: 'projects', where: { account: { equals: account } }, depth: 0, limit: 10, overrideAccess: true })
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found))
      } catch (error) {
        res.writeHead(500).end(String(error))
      }
    })
    .listen(port, () => process.send?.('listening'))
}
